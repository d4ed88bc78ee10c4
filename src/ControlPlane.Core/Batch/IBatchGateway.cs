namespace ControlPlane.Batch;

/// <summary>
/// The part of Azure OpenAI's Files and Batches API the nightly batch needs. Implementations talk to Azure OpenAI;
/// the interface keeps the domain free of the SDK.
/// <para>
/// Every call the orchestration makes may be repeated after a crash, so the gateway offers a way to find what an
/// earlier attempt already created: files by their (deterministic) name, batches by their input file.
/// </para>
/// </summary>
public interface IBatchGateway
{
    /// <summary>Uploads a JSONL input file with purpose <c>batch</c>.</summary>
    /// <exception cref="BatchGatewayException">The service refused the upload or could not be reached.</exception>
    Task<BatchFile> UploadInputFileAsync(string fileName, ReadOnlyMemory<byte> jsonl, CancellationToken cancellationToken = default);

    /// <summary>The most recent batch-purpose file with this name, or null when none was uploaded.</summary>
    Task<BatchFile?> FindInputFileAsync(string fileName, CancellationToken cancellationToken = default);

    /// <summary>Creates a batch over <paramref name="inputFileId"/> for <c>/chat/completions</c> with a <c>24h</c> completion window.</summary>
    Task<BatchJob> CreateBatchAsync(string inputFileId, CancellationToken cancellationToken = default);

    /// <summary>The batch created over <paramref name="inputFileId"/>, or null when none exists.</summary>
    Task<BatchJob?> FindBatchByInputFileAsync(string inputFileId, CancellationToken cancellationToken = default);

    /// <summary>The batch's current state.</summary>
    /// <exception cref="BatchGatewayException">With <see cref="BatchGatewayException.StatusCode"/> 404 when no batch has this id.</exception>
    Task<BatchJob> GetBatchAsync(string batchId, CancellationToken cancellationToken = default);

    /// <summary>Asks the service to cancel the batch; it moves to <c>cancelling</c> and then <c>cancelled</c>.</summary>
    Task<BatchJob> CancelBatchAsync(string batchId, CancellationToken cancellationToken = default);

    /// <summary>The content of an output or error file (JSONL).</summary>
    Task<ReadOnlyMemory<byte>> DownloadFileAsync(string fileId, CancellationToken cancellationToken = default);
}

/// <summary>An uploaded file.</summary>
public sealed record BatchFile(string Id, string FileName, long Bytes, string Status);

/// <summary>A batch job as the service reports it.</summary>
/// <param name="OutputFileId">Successful lines; set once the batch is completed (or expired/cancelled with some lines done).</param>
/// <param name="ErrorFileId">Failed lines; set when any line failed.</param>
/// <param name="Errors">Batch-level errors (validation failures), not per-line errors.</param>
public sealed record BatchJob(
    string Id,
    BatchJobStatus Status,
    string InputFileId,
    string? OutputFileId,
    string? ErrorFileId,
    BatchRequestCounts RequestCounts,
    IReadOnlyList<BatchJobError> Errors,
    DateTimeOffset CreatedAt);

/// <summary>The service's request counts for a batch.</summary>
public sealed record BatchRequestCounts(int Total, int Completed, int Failed);

/// <summary>A batch-level error: <c>errors.data[]</c> of the batch object.</summary>
public sealed record BatchJobError(string Code, string Message, int? Line);

/// <summary>
/// A batch's status, as an extensible enum: the service may add states, and an unknown one is treated as still running.
/// </summary>
public readonly record struct BatchJobStatus(string Value)
{
    public static BatchJobStatus Validating { get; } = new("validating");
    public static BatchJobStatus Failed { get; } = new("failed");
    public static BatchJobStatus InProgress { get; } = new("in_progress");
    public static BatchJobStatus Finalizing { get; } = new("finalizing");
    public static BatchJobStatus Completed { get; } = new("completed");
    public static BatchJobStatus Expired { get; } = new("expired");
    public static BatchJobStatus Cancelling { get; } = new("cancelling");
    public static BatchJobStatus Cancelled { get; } = new("cancelled");

    /// <summary>True for the states a batch never leaves: completed, failed, expired, cancelled.</summary>
    public bool IsTerminal => this == Completed || this == Failed || this == Expired || this == Cancelled;

    public override string ToString() => Value;
}

/// <summary>
/// The service refused a call or could not be reached. <see cref="IsTransient"/> (429, 5xx, no answer) means the same
/// call may succeed later; anything else will not.
/// </summary>
public sealed class BatchGatewayException(string message, int? statusCode, string? errorCode, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The HTTP status, or null when the service did not answer.</summary>
    public int? StatusCode { get; } = statusCode;

    /// <summary>The service's <c>error.code</c>, when it sent one.</summary>
    public string? ErrorCode { get; } = errorCode;

    public bool IsTransient => StatusCode is null or 408 or 429 or >= 500;
}
