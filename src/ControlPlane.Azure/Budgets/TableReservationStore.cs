using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Azure.Usage;
using ControlPlane.Budgets;

namespace ControlPlane.Azure.Budgets;

/// <summary>Reservation records, hash-partitioned by id so any instance finds one in a point read.</summary>
public sealed class TableReservationStore(TableProvider tables) : IReservationStore
{
    public const string TableName = "Reservations";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, GroupCommit<TableEntity, bool>> _commits = new(StringComparer.Ordinal);

    /// <summary>Group-committed per partition: under load, one transaction writes many authorizations' records.</summary>
    public Task CreateAsync(Reservation reservation, CancellationToken cancellationToken = default)
    {
        var entity = new TableEntity(Partition(reservation.Id), TableKeys.Escape(reservation.Id))
        {
            ["CeilingUsd"] = UsageEntityMapper.Money(reservation.CeilingUsd),
            ["ExpiresAt"] = reservation.ExpiresAt.UtcDateTime,
            ["Holds"] = JsonSerializer.Serialize(reservation.Holds, Json),
            ["Team"] = reservation.Team,
            ["Feature"] = reservation.Feature,
            ["Model"] = reservation.Model,
            ["Status"] = reservation.Status.ToString(),
            ["Id"] = reservation.Id,
        };
        var commits = _commits.GetOrAdd(entity.PartitionKey, _ => new GroupCommit<TableEntity, bool>(100, WriteAsync));
        return commits.SubmitAsync(entity, cancellationToken);
    }

    private async Task WriteAsync(IReadOnlyList<GroupCommit<TableEntity, bool>.Entry> batch, CancellationToken cancellationToken)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e.Item)), cancellationToken).ConfigureAwait(false);
        foreach (var entry in batch)
        {
            entry.Done.TrySetResult(true);
        }
    }

    public async Task<Reservation?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition(id), TableKeys.Escape(id), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    public async Task SetStatusAsync(string id, ReservationStatus status, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        await table.UpdateEntityAsync(new TableEntity(Partition(id), TableKeys.Escape(id)) { ["Status"] = status.ToString() },
            ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Reservation>> ListExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"Status eq {nameof(ReservationStatus.Active)} and ExpiresAt le {now.UtcDateTime}");
        var expired = new List<Reservation>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            expired.Add(FromEntity(row));
        }

        return expired;
    }

    /// <summary>
    /// Four partitions: enough spread for Azure's ~2,000 entities/s per partition at thousands of authorizations/s,
    /// few enough that group commit fills its transactions under load.
    /// </summary>
    private static string Partition(string id) => "r" + (TableKeys.StableHash(id) % 4).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Reservation FromEntity(TableEntity row) => new()
    {
        Id = row.GetString("Id"),
        CeilingUsd = UsageEntityMapper.ParseMoney(row.GetString("CeilingUsd")),
        ExpiresAt = row.GetDateTimeOffset("ExpiresAt") ?? default,
        Holds = JsonSerializer.Deserialize<List<ReservationHold>>(row.GetString("Holds"), Json) ?? [],
        Team = row.GetString("Team"),
        Feature = row.GetString("Feature"),
        Model = row.GetString("Model"),
        Status = Enum.Parse<ReservationStatus>(row.GetString("Status")),
    };
}
