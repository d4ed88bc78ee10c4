using ControlPlane.Azure.Batch;
using ControlPlane.Azure.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Batch;

/// <summary>
/// The real blob store, except that chosen saves of a run's state fail as if storage dropped the connection. Every
/// step of the nightly run saves the run's state as its last act, after its side effects: a failure there is a host
/// that did the work and died before Durable recorded the activity's result, so the activity runs again.
/// </summary>
public sealed class FailingRunStateStore(IBatchPayloadStore inner, Func<int, bool> failSave) : IBatchPayloadStore
{
    private int _saves;

    public int Saves => Volatile.Read(ref _saves);

    public Task SaveRunStateAsync(string runId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default) =>
        failSave(Interlocked.Increment(ref _saves))
            ? throw new global::Azure.RequestFailedException(503, $"Simulated crash before save {_saves} of the run's state.")
            : inner.SaveRunStateAsync(runId, state, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetRunStateAsync(string runId, CancellationToken cancellationToken = default) => inner.GetRunStateAsync(runId, cancellationToken);

    public Task SaveRequestBodyAsync(string requestId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) => inner.SaveRequestBodyAsync(requestId, body, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetRequestBodyAsync(string requestId, CancellationToken cancellationToken = default) => inner.GetRequestBodyAsync(requestId, cancellationToken);

    public Task SaveInputFileAsync(string runId, int group, ReadOnlyMemory<byte> jsonl, CancellationToken cancellationToken = default) => inner.SaveInputFileAsync(runId, group, jsonl, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetInputFileAsync(string runId, int group, CancellationToken cancellationToken = default) => inner.GetInputFileAsync(runId, group, cancellationToken);

    public Task SaveResultAsync(string requestId, ReadOnlyMemory<byte> result, CancellationToken cancellationToken = default) => inner.SaveResultAsync(requestId, result, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetResultAsync(string requestId, CancellationToken cancellationToken = default) => inner.GetResultAsync(requestId, cancellationToken);

    public Task DeleteRequestAsync(string requestId, CancellationToken cancellationToken = default) => inner.DeleteRequestAsync(requestId, cancellationToken);

    public Task<int> DeleteRunFilesBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) => inner.DeleteRunFilesBeforeAsync(cutoff, cancellationToken);
}

/// <summary>The real gateway, except that the answer to the first upload and the first batch creation is lost after the service acted on it.</summary>
public sealed class AnswerLosingGateway(IBatchGateway inner) : IBatchGateway
{
    private int _uploads;
    private int _creates;

    public int Uploads => Volatile.Read(ref _uploads);
    public int Creates => Volatile.Read(ref _creates);

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
    /// <summary>The n-th step of the run does its work, then its host "dies" before the result is recorded.</summary>
    public static Action<IServiceCollection> CrashAfterStep(int n) => services =>
        services.AddSingleton<IBatchPayloadStore>(sp => new FailingRunStateStore(new BlobBatchPayloadStore(sp.GetRequiredService<BlobProvider>()), save => save == n));

    /// <summary>Every step does its work twice: the first time its host "dies" before the result is recorded.</summary>
    public static Action<IServiceCollection> EveryStepTwice() => services =>
        services.AddSingleton<IBatchPayloadStore>(sp => new FailingRunStateStore(new BlobBatchPayloadStore(sp.GetRequiredService<BlobProvider>()), save => save % 2 == 1));
}
