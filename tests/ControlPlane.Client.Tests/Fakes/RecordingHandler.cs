using System.Collections.Concurrent;
using System.Text.Json;

namespace ControlPlane.Client.Fakes;

/// <summary>Keeps what ControlPlane answered the client library, so tests can see each settle and release.</summary>
public sealed class RecordingHandler : DelegatingHandler
{
    public ConcurrentQueue<(HttpMethod Method, string Path, int Status, JsonElement? Body)> Exchanges { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Exchanges.Enqueue((request.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode,
            text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone()));
        return response;
    }

    /// <summary>What each recorded usage event did to its reservation (<c>settled</c>, or why not).</summary>
    public IReadOnlyList<string?> ReservationOutcomes() =>
        [.. Exchanges.Where(e => e.Path == "/api/usage" && e.Status == 200)
            .SelectMany(e => e.Body!.Value.GetProperty("events").EnumerateArray())
            .Where(e => e.GetProperty("status").GetString() == "recorded")
            .Select(e => e.TryGetProperty("reservation", out var r) ? r.GetString() : null)];

    /// <summary>Reservations the library released, as the server answered.</summary>
    public IReadOnlyList<string?> Releases() =>
        [.. Exchanges.Where(e => e.Method == HttpMethod.Delete && e.Path.StartsWith("/api/reservations/", StringComparison.Ordinal))
            .Select(e => e.Status == 200 ? e.Body!.Value.GetProperty("status").GetString() : $"http {e.Status}")];
}
