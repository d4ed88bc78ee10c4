using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// How long an HTTP request may wait on storage before it answers without it. Section <c>ControlPlane:Deadlines</c>.
/// When a deadline passes, authorize decides by each matching hard budget's fail-closed setting (a denial naming
/// <c>storage_unavailable</c>, or an unreserved allow); every other request answers 503 <c>storage_unavailable</c>
/// with nothing acknowledged, so a retry with the same ids is safe.
/// </summary>
public sealed record DeadlineOptions
{
    public const string SectionName = "ControlPlane:Deadlines";

    /// <summary><c>POST /api/authorize</c> and the kill-switch check, which apps wait on before each LLM call. Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "ControlPlane:Deadlines:Authorize must be between 100 ms and 1 minute.")]
    public TimeSpan Authorize { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Recording usage (<c>POST /api/usage</c>, OTLP). Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "ControlPlane:Deadlines:Ingest must be between 1 second and 5 minutes.")]
    public TimeSpan Ingest { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every other HTTP request. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "ControlPlane:Deadlines:Request must be between 1 second and 10 minutes.")]
    public TimeSpan Request { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the health endpoint reports <c>degraded</c> after storage calls failed or missed their deadline. Default 1 minute.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "ControlPlane:Deadlines:HealthWindow must be between 1 second and 1 hour.")]
    public TimeSpan HealthWindow { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan For(RequestDeadline deadline) => deadline switch
    {
        RequestDeadline.Authorize => Authorize,
        RequestDeadline.Ingest => Ingest,
        _ => Request,
    };
}
