using System.Text.Json;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Paging;
using ControlPlane.Registry;

namespace ControlPlane.Azure.Registry;

/// <summary>Teams and features, one row each in the <c>Registry</c> table (partitions <c>team</c> and <c>feature</c>), keyed by name.</summary>
public sealed class TableRegistryStore(TableProvider tables) : IRegistryStore
{
    public const string TableName = "Registry";
    private const string Teams = "team";
    private const string Features = "feature";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task UpsertTeamAsync(TeamProfile team, CancellationToken cancellationToken = default) => UpsertAsync(Teams, team.Team, team, cancellationToken);

    public Task<TeamProfile?> GetTeamAsync(string team, CancellationToken cancellationToken = default) => GetAsync<TeamProfile>(Teams, team, cancellationToken);

    public Task<ListPage<TeamProfile>> ListTeamsAsync(PageRequest page, CancellationToken cancellationToken = default) => ListAsync<TeamProfile>(Teams, page, cancellationToken);

    public Task UpsertFeatureAsync(FeatureProfile feature, CancellationToken cancellationToken = default) => UpsertAsync(Features, feature.Feature, feature, cancellationToken);

    public Task<FeatureProfile?> GetFeatureAsync(string feature, CancellationToken cancellationToken = default) => GetAsync<FeatureProfile>(Features, feature, cancellationToken);

    public Task<ListPage<FeatureProfile>> ListFeaturesAsync(PageRequest page, CancellationToken cancellationToken = default) => ListAsync<FeatureProfile>(Features, page, cancellationToken);

    private async Task UpsertAsync<T>(string kind, string name, T profile, CancellationToken cancellationToken)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new TableEntity(kind, TableKeys.Escape(name)) { ["Profile"] = JsonSerializer.Serialize(profile, Json) },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T?> GetAsync<T>(string kind, string name, CancellationToken cancellationToken)
        where T : class
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(kind, TableKeys.Escape(name), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? JsonSerializer.Deserialize<T>(row.Value!.GetString("Profile"), Json) : null;
    }

    private async Task<ListPage<T>> ListAsync<T>(string kind, PageRequest page, CancellationToken cancellationToken)
        where T : class
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        return await TablePages.InKeyOrderAsync(table, $"PartitionKey eq '{kind}'", page,
            row => JsonSerializer.Deserialize<T>(row.GetString("Profile"), Json), cancellationToken).ConfigureAwait(false);
    }
}
