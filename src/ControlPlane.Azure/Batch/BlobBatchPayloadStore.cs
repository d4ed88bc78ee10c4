using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using ControlPlane.Azure.Storage;
using ControlPlane.Batch;

namespace ControlPlane.Azure.Batch;

/// <summary>
/// Request bodies, input files and results in the <c>batch</c> container:
/// <c>requests/{id}/request.json</c>, <c>requests/{id}/result.json</c>, <c>runs/{runId}/{group}.jsonl</c>, <c>runs/{runId}/state.json</c>.
/// Names are deterministic, so a replayed step overwrites the same blob with the same content.
/// </summary>
public sealed class BlobBatchPayloadStore(BlobProvider blobs) : IBatchPayloadStore
{
    public const string ContainerName = "batch";

    public Task SaveRequestBodyAsync(string requestId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        SaveAsync(RequestBlob(requestId, "request.json"), body, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetRequestBodyAsync(string requestId, CancellationToken cancellationToken = default) =>
        GetAsync(RequestBlob(requestId, "request.json"), cancellationToken);

    public Task SaveInputFileAsync(string runId, int group, ReadOnlyMemory<byte> jsonl, CancellationToken cancellationToken = default) =>
        SaveAsync(RunBlob(runId, group), jsonl, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetInputFileAsync(string runId, int group, CancellationToken cancellationToken = default) =>
        GetAsync(RunBlob(runId, group), cancellationToken);

    public Task SaveRunStateAsync(string runId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default) =>
        SaveAsync($"runs/{Uri.EscapeDataString(runId)}/state.json", state, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetRunStateAsync(string runId, CancellationToken cancellationToken = default) =>
        GetAsync($"runs/{Uri.EscapeDataString(runId)}/state.json", cancellationToken);

    public Task SaveResultAsync(string requestId, ReadOnlyMemory<byte> result, CancellationToken cancellationToken = default) =>
        SaveAsync(RequestBlob(requestId, "result.json"), result, cancellationToken);

    public Task<ReadOnlyMemory<byte>?> GetResultAsync(string requestId, CancellationToken cancellationToken = default) =>
        GetAsync(RequestBlob(requestId, "result.json"), cancellationToken);

    public async Task DeleteRequestAsync(string requestId, CancellationToken cancellationToken = default)
    {
        var container = await blobs.GetContainerAsync(ContainerName, cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(RequestBlob(requestId, "request.json")).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(RequestBlob(requestId, "result.json")).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> DeleteRunFilesBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        var container = await blobs.GetContainerAsync(ContainerName, cancellationToken).ConfigureAwait(false);
        var deleted = 0;
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "runs/", cancellationToken).ConfigureAwait(false))
        {
            if (blob.Properties.LastModified < cutoff)
            {
                await container.GetBlobClient(blob.Name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                deleted++;
            }
        }

        return deleted;
    }

    private static string RequestBlob(string requestId, string name) => $"requests/{Uri.EscapeDataString(requestId)}/{name}";

    private static string RunBlob(string runId, int group) => $"runs/{Uri.EscapeDataString(runId)}/{group.ToString(CultureInfo.InvariantCulture)}.jsonl";

    private async Task SaveAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var container = await blobs.GetContainerAsync(ContainerName, cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(content), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReadOnlyMemory<byte>?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var container = await blobs.GetContainerAsync(ContainerName, cancellationToken).ConfigureAwait(false);
        try
        {
            var content = await container.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return content.Value.Content.ToMemory();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}
