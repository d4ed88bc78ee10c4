using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Audits;
using ControlPlane.Azure.Storage;
using ControlPlane.Paging;

namespace ControlPlane.Azure.Audits;

/// <summary>
/// Findings in the <c>Findings</c> table: one row per finding (partition <c>finding</c>, row key the id), with the
/// filterable fields (<c>Kind</c>, <c>State</c>, <c>Team</c>) beside the JSON so list filters run in the table, and
/// <c>EventPending</c> marking an Opened event still owed — written in the same row as the change that opened the
/// finding, so the row is its own outbox. The JSON is split over properties of at most 30,000 characters, as a
/// string property holds at most 64 KiB.
/// </summary>
public sealed class TableFindingStore(TableProvider tables) : IFindingStore
{
    public const string TableName = "Findings";
    private const string Partition = "finding";
    private const int ChunkChars = 30_000;

    /// <summary>Properties other than the JSON chunks take 10 of the 255; an entity is at most 1 MiB.</summary>
    private const int MaxChunks = 30;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<StoredFinding?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!IsWellFormed(id))
        {
            return null;
        }

        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? Read(row.Value!) : null;
    }

    public async Task<bool> TryCreateAsync(Finding finding, bool eventPending, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(ToEntity(finding, eventPending), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(Finding finding, string etag, bool eventPending, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.UpdateEntityAsync(ToEntity(finding, eventPending), new ETag(etag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    public async Task<ListPage<Finding>> ListAsync(FindingFilter filter, PageRequest page, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var conditions = new List<string> { $"PartitionKey eq '{Partition}'" };
        if (filter.Kind is { } kind)
        {
            conditions.Add($"Kind eq {TableKeys.Quote(kind)}");
        }

        if (filter.State is { } state)
        {
            conditions.Add($"State eq {TableKeys.Quote(StateName(state))}");
        }

        if (filter.Team is { } team)
        {
            conditions.Add($"Team eq {TableKeys.Quote(team)}");
        }

        if (filter.VisibleTeams is { } visible)
        {
            // An ingest key sees its own teams' findings; with no teams it sees none (an empty "or" would match all).
            conditions.Add(visible.Count == 0 ? "RowKey eq ''" : "(" + string.Join(" or ", visible.Select(t => $"Team eq {TableKeys.Quote(t)}")) + ")");
        }

        return await TablePages.InKeyOrderAsync(table, string.Join(" and ", conditions), page, row => Read(row).Finding, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StoredFinding>> ListEventPendingAsync(int max, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var pending = new List<StoredFinding>();
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{Partition}' and EventPending eq true", maxPerPage: max, cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            pending.Add(Read(row));
            if (pending.Count >= max)
            {
                break;
            }
        }

        return pending;
    }

    public async Task<bool> TryClearEventPendingAsync(string id, string etag, CancellationToken cancellationToken = default)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.UpdateEntityAsync(new TableEntity(Partition, id) { ["EventPending"] = false }, new ETag(etag), TableUpdateMode.Merge, cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    private static readonly System.Buffers.SearchValues<char> Hex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>Ids are <c>fnd_</c> and 24 hex digits; anything else names no finding (and never reaches a key).</summary>
    private static bool IsWellFormed(string id) =>
        id.Length == Findings.IdPrefix.Length + 24 && id.StartsWith(Findings.IdPrefix, StringComparison.Ordinal)
        && id.AsSpan(Findings.IdPrefix.Length).ContainsAnyExcept(Hex) is false;

    private Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetTableAsync(TableName, cancellationToken);

    private static string StateName(FindingState state) => JsonNamingPolicy.CamelCase.ConvertName(state.ToString());

    private static TableEntity ToEntity(Finding finding, bool eventPending)
    {
        var json = JsonSerializer.Serialize(finding, Json);
        var chunks = (json.Length + ChunkChars - 1) / ChunkChars;
        if (chunks > MaxChunks)
        {
            throw new InvalidOperationException($"Finding {finding.Id} is {json.Length} characters of JSON; at most {ChunkChars * MaxChunks} fit a row. Audits must bound their evidence.");
        }

        var entity = new TableEntity(Partition, finding.Id)
        {
            ["Kind"] = finding.Kind,
            ["State"] = StateName(finding.State),
            ["Team"] = finding.Subject.Team ?? string.Empty,
            ["EventPending"] = eventPending,
            ["Chunks"] = chunks,
        };
        for (var i = 0; i < chunks; i++)
        {
            entity[$"Json{i}"] = json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars)));
        }

        return entity;
    }

    private static StoredFinding Read(TableEntity row)
    {
        var chunks = row.GetInt32("Chunks") ?? 0;
        var json = new StringBuilder();
        for (var i = 0; i < chunks; i++)
        {
            json.Append(row.GetString($"Json{i}"));
        }

        var finding = JsonSerializer.Deserialize<Finding>(json.ToString(), Json)
            ?? throw new InvalidDataException($"Finding row {row.RowKey} holds no finding.");
        return new StoredFinding(finding, row.ETag.ToString(), row.GetBoolean("EventPending") ?? false);
    }
}
