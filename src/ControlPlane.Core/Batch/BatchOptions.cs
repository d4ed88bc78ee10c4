using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Batch;

/// <summary>The nightly batch. Section <c>ControlPlane:Batch</c>.</summary>
public sealed record BatchOptions
{
    public const string SectionName = "ControlPlane:Batch";

    /// <summary>When the nightly run starts: six-field NCRONTAB, UTC. Default <c>0 0 2 * * *</c> (02:00). App setting <c>ControlPlane__Batch__Schedule</c>.</summary>
    [Required]
    public string Schedule { get; init; } = "0 0 2 * * *";

    /// <summary>How often a submitted batch is checked. Default 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "06:00:00")]
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How soon an uploaded file still being processed is looked at again before its batch is created. Default 15 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan FileCheckInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Nights a request is tried before it fails with the provider's error. Default 3.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; init; } = 3;

    /// <summary>
    /// How long a request's budget reservation lives. It must outlast the wait for the next run, the 24-hour batch
    /// window and the retries, or the money returns before the charge arrives. Default 5 days.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "30.00:00:00")]
    public TimeSpan ReservationLifetime { get; init; } = TimeSpan.FromDays(5);

    /// <summary>Requests per input file; Azure OpenAI's global batch allows 100,000. Default 100,000.</summary>
    [Range(1, 100_000)]
    public int MaxRequestsPerFile { get; init; } = 100_000;

    /// <summary>Bytes per input file; Azure OpenAI allows 200 MB. Default 190 MB, to leave room.</summary>
    [Range(1024, 200_000_000)]
    public long MaxFileBytes { get; init; } = 190_000_000;

    /// <summary>
    /// Requests the nightly run reads and updates at once. Each is its own table partition, so this is what makes a
    /// 100,000-request night take minutes, not hours. Default 16.
    /// </summary>
    [Range(1, 128)]
    public int Parallelism { get; init; } = 16;

    /// <summary>
    /// How long a finished request (with its body and result) and a run's input files are kept. Default 30 days:
    /// long enough to fetch a result and reconcile a month, short enough not to keep prompts forever.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Largest accepted request body. Default 1 MiB.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxBodyBytes { get; init; } = 1024 * 1024;
}
