namespace ControlPlane.Functions.Hosting;

/// <summary>Which of the <see cref="DeadlineOptions"/> bounds an HTTP function's storage calls.</summary>
public enum RequestDeadline
{
    /// <summary><see cref="DeadlineOptions.Request"/>: reads, admin changes, everything not on an app's call path.</summary>
    Request,

    /// <summary><see cref="DeadlineOptions.Authorize"/>: an app waits on it in front of every LLM call.</summary>
    Authorize,

    /// <summary><see cref="DeadlineOptions.Ingest"/>: recording usage; the caller retries with the same ids.</summary>
    Ingest,
}
