using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Pricing;

namespace ControlPlane.Azure.Pricing;

/// <summary>
/// Admin price overrides, one row per entry key in a single partition so one PUT (≤ 100 entries) lands atomically:
/// finance never sees half of a new price sheet.
/// </summary>
public sealed class TablePriceStore(TableProvider tables) : IPriceStore
{
    public const string TableName = "PriceOverrides";
    public const int MaxEntriesPerWrite = 100;
    private const string Partition = "override";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<PriceEntry>> GetOverridesAsync(CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var entries = new List<PriceEntry>();
        await foreach (var entity in table.QueryAsync<TableEntity>($"PartitionKey eq '{Partition}'", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            entries.Add(JsonSerializer.Deserialize<PriceEntry>(entity.GetString("Entry"), Json)!);
        }

        return entries;
    }

    public async Task UpsertOverridesAsync(IReadOnlyList<PriceEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count is 0 or > MaxEntriesPerWrite)
        {
            throw new ArgumentOutOfRangeException(nameof(entries), $"Write between 1 and {MaxEntriesPerWrite} entries at a time.");
        }

        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        // Last one wins when a request names the same key twice; a transaction may not touch one row twice.
        var rows = entries
            .GroupBy(RowKey, StringComparer.Ordinal)
            .Select(g => new TableEntity(Partition, g.Key) { ["Entry"] = JsonSerializer.Serialize(g.Last(), Json) })
            .Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e, ETag.All));
        await table.SubmitTransactionAsync(rows, cancellationToken).ConfigureAwait(false);
    }

    private static string RowKey(PriceEntry entry) => TableKeys.Escape(string.Join('|',
        entry.Provider.ToLowerInvariant(),
        entry.Model.ToLowerInvariant(),
        entry.DeploymentType?.ToLowerInvariant() ?? "*",
        entry.EffectiveFrom?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "*"));
}
