using ControlPlane.Azure.Orchestrations;
using ControlPlane.Azure.Storage;
using ControlPlane.Orchestrations;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Batch;

/// <summary>A process dying at a chosen point: the exception stands for the crash, nothing after it happens.</summary>
public sealed class SimulatedCrashException(string where) : Exception($"Simulated crash {where}.");

/// <summary>
/// The real Table store, except that the n-th checkpoint (a step's outcome, written after its side effects) never
/// reaches storage: the worker "dies" between the step's side effects and its checkpoint.
/// </summary>
public sealed class CrashingOrchestrationStore(IOrchestrationStore inner, int crashAtCheckpoint) : IOrchestrationStore
{
    private int _checkpoints;

    public Task<bool> TryCreateAsync(OrchestrationInstance instance, OrchestrationHistoryEntry first, CancellationToken cancellationToken = default) =>
        inner.TryCreateAsync(instance, first, cancellationToken);

    public Task<OrchestrationInstance?> GetAsync(string instanceId, CancellationToken cancellationToken = default) => inner.GetAsync(instanceId, cancellationToken);

    public Task<OrchestrationInstance?> TryReplaceAsync(OrchestrationInstance expected, OrchestrationInstance replacement, OrchestrationHistoryEntry? history, CancellationToken cancellationToken = default)
    {
        if (history is not null && Interlocked.Increment(ref _checkpoints) == crashAtCheckpoint)
        {
            throw new SimulatedCrashException($"before checkpoint {crashAtCheckpoint} ({expected.Step} -> {history.Outcome})");
        }

        return inner.TryReplaceAsync(expected, replacement, history, cancellationToken);
    }

    public Task<ControlPlane.Paging.ListPage<OrchestrationInstance>> ListAsync(string? kind, OrchestrationStatus? status, ControlPlane.Paging.PageRequest page, CancellationToken cancellationToken = default) =>
        inner.ListAsync(kind, status, page, cancellationToken);

    public Task<IReadOnlyList<OrchestrationInstance>> ListDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => inner.ListDueAsync(now, cancellationToken);

    public Task<IReadOnlyList<OrchestrationHistoryEntry>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken = default) =>
        inner.GetHistoryAsync(instanceId, cancellationToken);

    public Task<int> DeleteFinishedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        inner.DeleteFinishedBeforeAsync(cutoff, cancellationToken);
}

/// <summary>
/// The real queue, except that a chosen send is silently lost (the worker died after its checkpoint, before the
/// send) or every message is sent twice (an at-least-once queue).
/// </summary>
public sealed class FaultyDispatcher(IOrchestrationDispatcher inner, int loseSend = 0, bool duplicateEvery = false) : IOrchestrationDispatcher
{
    private int _sends;

    public async Task SendAsync(OrchestrationWorkItem item, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref _sends) == loseSend)
        {
            return;
        }

        await inner.SendAsync(item, cancellationToken);
        if (duplicateEvery)
        {
            await inner.SendAsync(item, cancellationToken);
        }
    }
}

/// <summary>The real gateway, except that the answer to the first upload and the first batch creation is lost after the service acted on it.</summary>
public sealed class AnswerLosingGateway(IBatchGateway inner) : IBatchGateway
{
    private int _uploads;
    private int _creates;

    public async Task<BatchFile> UploadInputFileAsync(string fileName, ReadOnlyMemory<byte> jsonl, CancellationToken cancellationToken = default)
    {
        var file = await inner.UploadInputFileAsync(fileName, jsonl, cancellationToken);
        return Interlocked.Increment(ref _uploads) == 1 ? throw new BatchGatewayException("Connection reset after upload.", null, null) : file;
    }

    public Task<BatchFile?> FindInputFileAsync(string fileName, CancellationToken cancellationToken = default) => inner.FindInputFileAsync(fileName, cancellationToken);

    public async Task<BatchJob> CreateBatchAsync(string inputFileId, CancellationToken cancellationToken = default)
    {
        var job = await inner.CreateBatchAsync(inputFileId, cancellationToken);
        return Interlocked.Increment(ref _creates) == 1 ? throw new BatchGatewayException("Connection reset after create.", null, null) : job;
    }

    public Task<BatchJob?> FindBatchByInputFileAsync(string inputFileId, CancellationToken cancellationToken = default) => inner.FindBatchByInputFileAsync(inputFileId, cancellationToken);

    public Task<BatchJob> GetBatchAsync(string batchId, CancellationToken cancellationToken = default) => inner.GetBatchAsync(batchId, cancellationToken);

    public Task<BatchJob> CancelBatchAsync(string batchId, CancellationToken cancellationToken = default) => inner.CancelBatchAsync(batchId, cancellationToken);

    public Task<ReadOnlyMemory<byte>> DownloadFileAsync(string fileId, CancellationToken cancellationToken = default) => inner.DownloadFileAsync(fileId, cancellationToken);
}

public static class Faults
{
    public static Action<IServiceCollection> CrashBeforeCheckpoint(int n) => services =>
        services.AddSingleton<IOrchestrationStore>(sp => new CrashingOrchestrationStore(new TableOrchestrationStore(sp.GetRequiredService<TableProvider>()), n));

    public static Action<IServiceCollection> Dispatcher(int loseSend = 0, bool duplicateEvery = false) => services =>
        services.AddSingleton<IOrchestrationDispatcher>(sp => new FaultyDispatcher(new QueueOrchestrationDispatcher(sp.GetRequiredService<QueueProvider>()), loseSend, duplicateEvery));
}
