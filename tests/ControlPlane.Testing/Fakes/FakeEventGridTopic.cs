using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Testing.Fakes;

/// <summary>
/// A local stand-in for an Event Grid topic's CloudEvents endpoint (<c>POST /api/events</c>): checks the
/// <c>aeg-sas-key</c> (401 otherwise) and keeps what it receives. Can be created on a port before it starts
/// listening, to see a topic that is down.
/// </summary>
public sealed class FakeEventGridTopic : IAsyncDisposable
{
    public const string DefaultKey = "local-topic-key";
    private readonly WebApplication _app;

    public FakeEventGridTopic(int? port = null)
    {
        Port = port ?? LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        _app = builder.Build();
        _app.MapPost("/api/events", async (HttpRequest request) =>
        {
            if (request.Headers["aeg-sas-key"] != DefaultKey)
            {
                return Results.Unauthorized();
            }

            if (Interlocked.Decrement(ref _unavailable) >= 0)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            ContentTypes.Add(request.ContentType ?? string.Empty);
            using var body = await JsonDocument.ParseAsync(request.Body);
            var events = body.RootElement.ValueKind == JsonValueKind.Array ? body.RootElement.EnumerateArray().ToList() : [body.RootElement];
            foreach (var e in events)
            {
                Received.Add(e.Clone());
            }

            return Results.Ok();
        });
    }

    private int _unavailable;

    public int Port { get; }

    /// <summary>The next <paramref name="count"/> deliveries are answered 503, as a topic having an outage.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _unavailable, count);

    /// <summary>Refusals <see cref="FailNext"/> asked for that have not been answered yet.</summary>
    public int FailuresLeft => Math.Max(0, Volatile.Read(ref _unavailable));
    public string Endpoint => $"http://127.0.0.1:{Port}/api/events";
    public ConcurrentBag<JsonElement> Received { get; } = [];
    public ConcurrentBag<string> ContentTypes { get; } = [];

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

}
