using Azure.Identity;
using Azure.Storage.Blobs;

namespace ControlPlane.Azure.Storage;

/// <summary>Hands out blob containers with the configured prefix (lower-cased), creating each once on first use.</summary>
public sealed class BlobProvider
{
    private readonly BlobServiceClient _service;
    private readonly string _prefix;
    private readonly CreatedOnce<BlobContainerClient> _containers;

    public BlobProvider(StorageOptions options, StorageHealth? health = null)
    {
        var clientOptions = new BlobClientOptions();
        StorageClientSettings.Configure(clientOptions, options, health);
        _service = options.AccountName is { } account
            ? new BlobServiceClient(new Uri($"https://{account}.blob.core.windows.net"), new DefaultAzureCredential(), clientOptions)
            : new BlobServiceClient(options.ConnectionString, clientOptions);
        _prefix = options.TablePrefix.ToLowerInvariant();
        _containers = new(n => CreateAsync(_prefix + n));
    }

    public Task<BlobContainerClient> GetContainerAsync(string name, CancellationToken cancellationToken = default) => _containers.GetAsync(name, cancellationToken);

    private async Task<BlobContainerClient> CreateAsync(string containerName)
    {
        var client = _service.GetBlobContainerClient(containerName);
        await client.CreateIfNotExistsAsync().ConfigureAwait(false);
        return client;
    }
}
