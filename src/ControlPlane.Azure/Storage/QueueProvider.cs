using Azure.Identity;
using Azure.Storage.Queues;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Hands out queue clients with the configured prefix (lower-cased: queue names allow no capitals), creating each
/// queue once on first use. Messages are Base64, the encoding the Functions host's queue trigger expects by default.
/// </summary>
public sealed class QueueProvider
{
    private readonly QueueServiceClient _service;
    private readonly string _prefix;
    private readonly CreatedOnce<QueueClient> _queues;

    public QueueProvider(StorageOptions options, StorageHealth? health = null)
    {
        var clientOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        StorageClientSettings.Configure(clientOptions, options, health);
        _service = options.AccountName is { } account
            ? new QueueServiceClient(new Uri($"https://{account}.queue.core.windows.net"), new DefaultAzureCredential(), clientOptions)
            : new QueueServiceClient(options.ConnectionString, clientOptions);
        _prefix = options.TablePrefix.ToLowerInvariant();
        _queues = new(n => CreateAsync(QueueName(n)));
    }

    /// <summary>The name a catalog queue has in storage: <c>{prefix}{name}</c>.</summary>
    public string QueueName(string name) => _prefix + name;

    /// <summary>The queue <c>{prefix}{name}</c>, created if it does not exist yet.</summary>
    public Task<QueueClient> GetQueueAsync(string name, CancellationToken cancellationToken = default) => _queues.GetAsync(name, cancellationToken);

    private async Task<QueueClient> CreateAsync(string queueName)
    {
        var client = _service.GetQueueClient(queueName);
        await client.CreateIfNotExistsAsync().ConfigureAwait(false);
        return client;
    }
}
