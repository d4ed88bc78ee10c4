using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.Client.Api;
using Polly;
using Polly.Retry;

namespace ControlPlane.Client;

/// <summary>
/// A typed client for ControlPlane's API. Transient failures (connection errors, 408, 429, 5xx) are retried with
/// backoff, re-sending the very same body: a usage event keeps its id, so a retry whose first attempt did land is
/// answered <c>duplicate</c> and charged once. A retried authorize whose first answer was lost leaves one extra
/// reservation, which expires after its TTL. Errors the server refuses throw <see cref="ControlPlaneApiException"/>.
/// </summary>
public sealed class ControlPlaneClient
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;

    /// <param name="http">Its <c>BaseAddress</c>, or <see cref="ControlPlaneClientOptions.Endpoint"/>, is ControlPlane's.</param>
    public ControlPlaneClient(HttpClient http, ControlPlaneClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (http.BaseAddress is null && options.Endpoint is null)
        {
            throw new ArgumentException("Set ControlPlaneClientOptions.Endpoint or the HttpClient's BaseAddress to ControlPlane's address.", nameof(options));
        }

        _http = http;
        Options = options;
        _retry = options.MaxAttempts == 1
            ? ResiliencePipeline<HttpResponseMessage>.Empty
            : new ResiliencePipelineBuilder<HttpResponseMessage>()
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    MaxRetryAttempts = options.MaxAttempts - 1,
                    Delay = options.RetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                        .Handle<HttpRequestException>()
                        .HandleResult(r => IsTransient(r.StatusCode)),
                    OnRetry = args =>
                    {
                        // The response that is retried is not read: free its connection.
                        args.Outcome.Result?.Dispose();
                        return default;
                    },
                })
                .Build();
    }

    public ControlPlaneClientOptions Options { get; }

    /// <summary>Reserves the call's worst case on every matching hard budget, or says which budget denies it.</summary>
    public Task<AuthorizeResponse> AuthorizeAsync(AuthorizeRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<AuthorizeResponse>(HttpMethod.Post, "api/authorize", request, cancellationToken);

    /// <summary>Records one call; idempotent by <see cref="UsageReport.Id"/>.</summary>
    public Task<IngestResponse> RecordUsageAsync(UsageReport report, CancellationToken cancellationToken = default) =>
        SendAsync<IngestResponse>(HttpMethod.Post, "api/usage", report, cancellationToken);

    /// <summary>Records up to 1,000 calls in one request; the server takes all or none.</summary>
    public Task<IngestResponse> RecordUsageAsync(IReadOnlyList<UsageReport> reports, CancellationToken cancellationToken = default) =>
        SendAsync<IngestResponse>(HttpMethod.Post, "api/usage", new { events = reports }, cancellationToken);

    /// <summary>Returns a reservation whose call never reached the provider; its money is free again at once.</summary>
    public Task<ReleaseResponse> ReleaseReservationAsync(string reservationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reservationId);
        return SendAsync<ReleaseResponse>(HttpMethod.Delete, $"api/reservations/{Uri.EscapeDataString(reservationId)}", null, cancellationToken);
    }

    /// <summary>Costs from the hourly rollups (a <c>finance</c> or <c>admin</c> key).</summary>
    public Task<CostSummary> GetCostsAsync(CostQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new CostQuery();
        var path = "api/costs" + Query(
            ("groupBy", query.GroupBy),
            ("from", query.From?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
            ("to", query.To?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
            ("team", query.Team),
            ("feature", query.Feature));
        return SendAsync<CostSummary>(HttpMethod.Get, path, null, cancellationToken);
    }

    /// <summary>A page of budgets with their current numbers.</summary>
    public Task<BudgetPage> GetBudgetsAsync(string? next = null, CancellationToken cancellationToken = default) =>
        SendAsync<BudgetPage>(HttpMethod.Get, "api/budgets" + Query(("next", next)), null, cancellationToken);

    public Task<BudgetStatus> GetBudgetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return SendAsync<BudgetStatus>(HttpMethod.Get, $"api/budgets/{Uri.EscapeDataString(id)}", null, cancellationToken);
    }

    /// <summary>Whether a call with this attribution is blocked by a kill switch, without reserving anything.</summary>
    public Task<KillSwitchCheck> CheckKillSwitchAsync(CallAttribution attribution, string? model = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        var path = "api/killswitches/check" + Query(
            ("team", attribution.Team), ("feature", attribution.Feature), ("user", attribution.User),
            ("environment", attribution.Environment), ("model", model), ("app", attribution.App));
        return SendAsync<KillSwitchCheck>(HttpMethod.Get, path, null, cancellationToken);
    }

    internal static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        // Serialized once: every attempt sends the same bytes, so the same event ids.
        var bytes = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, Json);
        var uri = Options.Endpoint is { } endpoint ? new Uri(endpoint, path) : new Uri(path, UriKind.Relative);
        using var response = await _retry.ExecuteAsync(async ct =>
        {
            using var request = new HttpRequestMessage(method, uri);
            if (Options.ApiKey is { } key)
            {
                request.Headers.Add("x-api-key", key);
            }

            if (bytes is not null)
            {
                request.Content = new ByteArrayContent(bytes);
                request.Content.Headers.ContentType = JsonContentType;
            }

            return await _http.SendAsync(request, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        if (!response.IsSuccessStatusCode)
        {
            throw await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        }

        return await JsonSerializer.DeserializeAsync<T>(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), Json, cancellationToken).ConfigureAwait(false)
            ?? throw new ControlPlaneApiException(response.StatusCode, null, $"ControlPlane answered {method} /{path} with an empty body.");
    }

    private static async Task<ControlPlaneApiException> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? code = null;
        var detail = text;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json" && text.Length > 0)
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                code = doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
                detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? text
                    : doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() ?? text : text;
            }
            catch (JsonException)
            {
                // Not the problem+json the server sends (a proxy's page, say): the raw text is the message.
            }
        }

        return new ControlPlaneApiException(response.StatusCode, code,
            $"ControlPlane answered {(int)response.StatusCode}{(code is null ? string.Empty : $" {code}")}: {detail}");
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? string.Empty : "?" + string.Join("&", parts);
    }
}
