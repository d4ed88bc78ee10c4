namespace ControlPlane.Client;

/// <summary>
/// Where ControlPlane is, who the app is, and how the client behaves. The attribution set here applies to every call;
/// per-call <c>ChatOptions.AdditionalProperties</c> (see <see cref="ControlPlaneProperties"/>) override it.
/// </summary>
public sealed class ControlPlaneClientOptions
{
    /// <summary>ControlPlane's base address (<c>https://func-xyz.azurewebsites.net/</c>). Required unless the
    /// <see cref="HttpClient"/> given to <see cref="ControlPlaneClient"/> has a <c>BaseAddress</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>An <c>ingest</c> key for the app's team(s), sent as <c>x-api-key</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Team charged for the calls. Required here or per call.</summary>
    public string? Team { get; set; }

    /// <summary>Feature the calls serve. Required here or per call.</summary>
    public string? Feature { get; set; }

    public string? User { get; set; }
    public string? App { get; set; }

    /// <summary>Default: the server's (<c>prod</c>).</summary>
    public string? Environment { get; set; }

    public string? PromptTemplate { get; set; }

    /// <summary>Provider name as the price sheet knows it (<c>openai</c>, <c>azure-openai</c>); default: inferred from the model.</summary>
    public string? Provider { get; set; }

    /// <summary>The output cap used for a call that sets none; it is also sent to the provider, so the authorized worst
    /// case really is the worst case. <c>null</c> (default): a call without <c>MaxOutputTokens</c> is refused.</summary>
    public int? DefaultMaxOutputTokens { get; set; }

    /// <summary>Attempts per ControlPlane request, first included (default 4): 408, 429, 5xx and connection failures
    /// are retried with exponential backoff and the same body, so a usage event keeps its id.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>First retry delay, doubled per attempt with jitter (default 200 ms).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Most events per <c>POST /api/usage</c> (default 100; the server takes up to 1,000).</summary>
    public int UsageBatchSize { get; set; } = 100;

    /// <summary>Events waiting to be sent before new ones are dropped with an error log (default 10,000): reporting
    /// never blocks the app.</summary>
    public int UsageQueueCapacity { get; set; } = 10_000;

    /// <summary>Clock for event timestamps and call latency (default: the system clock). Retry delays are real waits
    /// and always use the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "ControlPlaneClientOptions.MaxAttempts must be at least 1.");
        }

        if (UsageBatchSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(UsageBatchSize), UsageBatchSize, "ControlPlaneClientOptions.UsageBatchSize must lie between 1 and 1000.");
        }

        if (UsageQueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(UsageQueueCapacity), UsageQueueCapacity, "ControlPlaneClientOptions.UsageQueueCapacity must be at least 1.");
        }

        if (DefaultMaxOutputTokens is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultMaxOutputTokens), DefaultMaxOutputTokens, "ControlPlaneClientOptions.DefaultMaxOutputTokens must be at least 1.");
        }
    }
}
