namespace ControlPlane.Batch;

/// <summary>
/// The nightly run's state, passed from step to step (activity inputs and outputs, kept in the orchestration's history): one entry per provider batch. Request ids are not kept here (a run may hold
/// 100,000 of them); each group's input file, kept in blob storage, is its list of requests.
/// </summary>
public sealed class NightlyBatchState
{
    public List<BatchGroup> Groups { get; set; } = [];

    /// <summary>Pending requests left for a later night because a kill switch covers them.</summary>
    public int HeldBack { get; set; }

    /// <summary>After submit: input files the service is still processing (their batches are not created yet).</summary>
    public int FilesProcessing { get; set; }

    /// <summary>After poll: batches not finished yet.</summary>
    public int BatchesRunning { get; set; }

    /// <summary>What the last step did, in a line: the run's custom status shows it.</summary>
    public string? Detail { get; set; }

    /// <summary>A group has neither its batch nor a reason it will never get one: submit (again).</summary>
    public bool NeedsSubmit() => Groups.Any(g => g.BatchId is null && g.Error is null);

    /// <summary>A batch the provider has not finished.</summary>
    public bool NeedsPoll() => Groups.Any(g => g.BatchId is not null && !new BatchJobStatus(g.Status ?? string.Empty).IsTerminal);

    public bool NeedsSettle() => Groups.Any(g => !g.Settled);
}

/// <summary>One input file and the provider batch made from it: the requests for one deployment (split to fit the file limits).</summary>
public sealed class BatchGroup
{
    public int Index { get; set; }
    public string Deployment { get; set; } = string.Empty;
    public int Requests { get; set; }
    public long Bytes { get; set; }
    public string? InputFileId { get; set; }

    /// <summary>The input file's status at the service: a batch is created only once it is <c>processed</c>.</summary>
    public string? FileStatus { get; set; }
    public string? BatchId { get; set; }

    /// <summary>The provider's batch status, as last polled.</summary>
    public string? Status { get; set; }

    public string? OutputFileId { get; set; }
    public string? ErrorFileId { get; set; }

    /// <summary>Why the whole group failed (upload refused, batch failed validation); each request gets it as its error.</summary>
    public BatchRequestError? Error { get; set; }

    public bool Settled { get; set; }
    public int Completed { get; set; }
    public int Failed { get; set; }
    public int Retrying { get; set; }
    public decimal CostUsd { get; set; }
    public decimal RealtimeCostUsd { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
}

/// <summary>The data of <c>ControlPlane.Batch.Completed</c>, and the run's output in the orchestrations API.</summary>
public sealed record BatchRunSummary(
    string RunId,
    int Requests,
    int Completed,
    int Failed,
    int Retrying,
    decimal CostUsd,
    decimal RealtimeCostUsd,
    decimal SavingUsd,
    long InputTokens,
    long OutputTokens,
    int HeldBack,
    IReadOnlyList<BatchRunBatch> Batches);

public sealed record BatchRunBatch(string Deployment, string? BatchId, string? Status, int Requests, int Completed, int Failed, int Retrying, BatchRequestError? Error);
