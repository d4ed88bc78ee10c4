using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Hands out table clients with the configured prefix, creating each table once on first use so a fresh account
/// (or a fresh Azurite) needs no setup step.
/// </summary>
public sealed class TableProvider
{
    private readonly TableServiceClient _service;
    private readonly string _prefix;
    private readonly CreatedOnce<TableClient> _tables;

    public TableProvider(StorageOptions options, StorageHealth? health = null)
    {
        var clientOptions = new TableClientOptions();
        StorageClientSettings.Configure(clientOptions, options, health);
        _service = options.AccountName is { } account
            ? new TableServiceClient(new Uri($"https://{account}.table.core.windows.net"), new DefaultAzureCredential(), clientOptions)
            : new TableServiceClient(options.ConnectionString, clientOptions);
        _prefix = options.TablePrefix;
        _tables = new(n => CreateAsync(_prefix + n));
    }

    /// <summary>Storage answers 503/500 under load; the SDK retries those with exponential backoff.</summary>
    internal static void ConfigureRetry(RetryOptions retry)
    {
        retry.Mode = RetryMode.Exponential;
        retry.MaxRetries = 5;
        retry.Delay = TimeSpan.FromMilliseconds(200);
        retry.MaxDelay = TimeSpan.FromSeconds(5);
        retry.NetworkTimeout = TimeSpan.FromSeconds(30);
    }

    public TableServiceClient Service => _service;

    /// <summary>The table <c>{prefix}{name}</c>, created if it does not exist yet.</summary>
    public Task<TableClient> GetTableAsync(string name, CancellationToken cancellationToken = default) => _tables.GetAsync(name, cancellationToken);

    private async Task<TableClient> CreateAsync(string tableName)
    {
        var client = _service.GetTableClient(tableName);
        await client.CreateIfNotExistsAsync().ConfigureAwait(false);
        return client;
    }
}
