using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Access;
using ControlPlane.Azure.Storage;
using ControlPlane.Paging;

namespace ControlPlane.Azure.Access;

/// <summary>Issued keys in one small partition: key management is rare, lookups are cached by the service.</summary>
public sealed class TableApiKeyStore(TableProvider tables) : IApiKeyStore
{
    public const string TableName = "ApiKeys";
    private const string Partition = "key";

    public async Task CreateAsync(ApiKey key, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await table.AddEntityAsync(ToEntity(key), cancellationToken).ConfigureAwait(false);
    }

    public async Task<ApiKey?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var response = await table.GetEntityIfExistsAsync<TableEntity>(Partition, TableKeys.Escape(id), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    public async Task<ListPage<ApiKey>> ListAsync(PageRequest page, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        return await TablePages.InKeyOrderAsync(table, $"PartitionKey eq '{Partition}'", page, FromEntity, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var patch = new TableEntity(Partition, TableKeys.Escape(id)) { ["RevokedAt"] = revokedAt.UtcDateTime };
        try
        {
            await table.UpdateEntityAsync(patch, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    private static TableEntity ToEntity(ApiKey key) => new(Partition, TableKeys.Escape(key.Id))
    {
        ["Name"] = key.Name,
        ["Role"] = key.Role.ToString(),
        ["Teams"] = JsonSerializer.Serialize(key.Teams),
        ["SecretHash"] = key.SecretHash,
        ["CreatedAt"] = key.CreatedAt.UtcDateTime,
    };

    private static ApiKey FromEntity(TableEntity entity) => new()
    {
        Id = entity.RowKey,
        Name = entity.GetString("Name"),
        Role = Enum.Parse<ApiRole>(entity.GetString("Role")),
        Teams = JsonSerializer.Deserialize<List<string>>(entity.GetString("Teams")) ?? [],
        SecretHash = entity.GetBinary("SecretHash"),
        CreatedAt = entity.GetDateTimeOffset("CreatedAt") ?? default,
        RevokedAt = entity.GetDateTimeOffset("RevokedAt"),
    };
}
