using System.Text.Json;
using Azure;
using ControlPlane.Audits;
using ControlPlane.Azure.Storage;

namespace ControlPlane.Azure.Audits;

/// <summary>
/// The latest uploaded inventory, as parsed (AI resources and deployments only), in blob
/// <c>audits/shadow-ai/inventory.json</c>. An upload overwrites it whole, so a run reads one upload or the next, never a mix.
/// </summary>
public sealed class BlobShadowAiUploadStore(BlobProvider blobs) : IShadowAiUploadStore
{
    public const string ContainerName = "audits";
    public const string BlobName = "shadow-ai/inventory.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task SaveAsync(ShadowAiUpload upload, CancellationToken cancellationToken = default)
    {
        var container = await blobs.GetContainerAsync(ContainerName, cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(BlobName).UploadAsync(BinaryData.FromObjectAsJson(upload, Json), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ShadowAiUpload?> GetAsync(CancellationToken cancellationToken = default)
    {
        var container = await blobs.GetContainerAsync(ContainerName, cancellationToken).ConfigureAwait(false);
        try
        {
            var content = await container.GetBlobClient(BlobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return content.Value.Content.ToObjectFromJson<ShadowAiUpload>(Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
