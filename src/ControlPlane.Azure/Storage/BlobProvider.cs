using System.Collections.Concurrent;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace ControlPlane.Azure.Storage;

/// <summary>Hands out blob containers with the configured prefix (lower-cased), creating each once on first use.</summary>
public sealed class BlobProvider
{
    private readonly BlobServiceClient _service;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, Lazy<Task<BlobContainerClient>>> _containers = new(StringComparer.Ordinal);

    public BlobProvider(StorageOptions options)
    {
        var clientOptions = new BlobClientOptions();
        TableProvider.ConfigureRetry(clientOptions.Retry);
        _service = options.AccountName is { } account
            ? new BlobServiceClient(new Uri($"https://{account}.blob.core.windows.net"), new DefaultAzureCredential(), clientOptions)
            : new BlobServiceClient(options.ConnectionString, clientOptions);
        _prefix = options.TablePrefix.ToLowerInvariant();
    }

    public Task<BlobContainerClient> GetContainerAsync(string name, CancellationToken cancellationToken = default)
    {
        var lazy = _containers.GetOrAdd(name, n => new Lazy<Task<BlobContainerClient>>(() => CreateAsync(_prefix + n)));
        var task = lazy.Value;
        if (task.IsFaulted)
        {
            _containers.TryRemove(new KeyValuePair<string, Lazy<Task<BlobContainerClient>>>(name, lazy));
        }

        return task.WaitAsync(cancellationToken);
    }

    private async Task<BlobContainerClient> CreateAsync(string containerName)
    {
        var client = _service.GetBlobContainerClient(containerName);
        await client.CreateIfNotExistsAsync().ConfigureAwait(false);
        return client;
    }
}
