using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;
using ControlPlane.Azure.Usage;
using ControlPlane.Budgets;

namespace ControlPlane.Azure.Budgets;

/// <summary>
/// Reservation records. A reservation id names the hour its reservation expires in
/// (<c>res_{yyyyMMddHH}_{random}</c>) and the record lives in partition <c>x{yyyyMMddHH}{0-3}</c>: any instance
/// finds it with a point read, and retention deletes whole expired hours with a key-range query that reads only
/// what it deletes (no scan of the settled reservations around them). Records of ids in the earlier format
/// (<c>res_{random}</c>) live in partitions <c>r0</c>–<c>r3</c>.
/// </summary>
public sealed class TableReservationStore(TableProvider tables) : IReservationStore
{
    public const string TableName = "Reservations";
    private const int MaxAttempts = 50;
    private const int Shards = 4;
    private const string HourFormat = "yyyyMMddHH";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, GroupCommit<TableEntity, bool>> _commits = new(StringComparer.Ordinal);

    public string NewId(DateTimeOffset expiresAt) =>
        $"res_{expiresAt.UtcDateTime.ToString(HourFormat, CultureInfo.InvariantCulture)}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";

    /// <summary>Group-committed per partition: under load, one transaction writes many authorizations' records.</summary>
    public Task CreateAsync(Reservation reservation, CancellationToken cancellationToken = default)
    {
        var entity = ToEntity(reservation);
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

    public async Task<Reservation?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await ReadAsync(id, cancellationToken).ConfigureAwait(false)) is { } row ? FromEntity(row) : null;

    public Task<Reservation?> ClaimAsync(string id, string eventId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ChangeIfActiveAsync(id, now, row =>
        {
            row["Status"] = nameof(ReservationStatus.Settled);
            row["SettledByEventId"] = eventId;
        }, cancellationToken);

    public Task<Reservation?> MarkReleasedAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ChangeIfActiveAsync(id, now, row => row["Status"] = nameof(ReservationStatus.Released), cancellationToken);

    /// <summary>Changes an active, unexpired, unclaimed record, guarded by its ETag; a racing change wins or loses whole.</summary>
    private async Task<Reservation?> ChangeIfActiveAsync(string id, DateTimeOffset now, Action<TableEntity> change, CancellationToken ct)
    {
        var table = await tables.GetTableAsync(TableName, ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var row = await ReadAsync(id, ct).ConfigureAwait(false);
            if (row is null)
            {
                return null;
            }

            var current = FromEntity(row);
            if (current.StatusAt(now) != ReservationStatus.Active || current.SettledByEventId is not null)
            {
                return current;
            }

            change(row);
            try
            {
                await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
                return FromEntity(row);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                if (attempt >= MaxAttempts)
                {
                    throw new BudgetContentionException($"reservation {id}", ex);
                }

                // Someone else changed it first: read again and see who won.
            }
        }
    }

    public async Task<int> DeleteExpiredBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        // Partitions of hours that ended before the cutoff: "x" < key < "x{cutoff hour}". A key-range query reads
        // only the rows it returns, so the cost is what is deleted, however many live reservations there are.
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var lastHour = cutoff.UtcDateTime.AddHours(-1).ToString(HourFormat, CultureInfo.InvariantCulture);
        return await TableDeletes.DeleteMatchingAsync(table, $"PartitionKey ge 'x' and PartitionKey lt 'x{lastHour}'", cancellationToken).ConfigureAwait(false);
    }

    private async Task<TableEntity?> ReadAsync(string id, CancellationToken ct)
    {
        var table = await tables.GetTableAsync(TableName, ct).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition(id), TableKeys.Escape(id), cancellationToken: ct).ConfigureAwait(false);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>
    /// The partition an id's record lives in: its expiry hour and one of four shards (enough spread for Azure's
    /// ~2,000 entities/s per partition at thousands of authorizations/s, few enough that group commit fills its
    /// transactions under load). Any other string (an earlier id, or a client's invention) maps to r0–r3.
    /// </summary>
    private static string Partition(string id)
    {
        var shard = (TableKeys.StableHash(id) % Shards).ToString(CultureInfo.InvariantCulture);
        return id.Length > 15 && id.StartsWith("res_", StringComparison.Ordinal) && id[14] == '_'
            && DateTime.TryParseExact(id[4..14], HourFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? "x" + id[4..14] + shard
            : "r" + shard;
    }

    private static TableEntity ToEntity(Reservation reservation)
    {
        var entity = new TableEntity(Partition(reservation.Id), TableKeys.Escape(reservation.Id))
        {
            ["CeilingUsd"] = UsageEntityMapper.Money(reservation.CeilingUsd),
            ["ExpiresAt"] = reservation.ExpiresAt.UtcDateTime,
            ["Holds"] = JsonSerializer.Serialize(reservation.Holds, Json),
            ["Team"] = reservation.Team,
            ["Feature"] = reservation.Feature,
            ["Model"] = reservation.Model,
            ["Environment"] = reservation.Environment,
            ["Status"] = reservation.Status.ToString(),
            ["Id"] = reservation.Id,
        };
        foreach (var (name, value) in new[] { ("User", reservation.User), ("App", reservation.App), ("ReservedForEventId", reservation.ReservedForEventId) })
        {
            if (value is not null)
            {
                entity[name] = value;
            }
        }

        return entity;
    }

    private static Reservation FromEntity(TableEntity row) => new()
    {
        Id = row.GetString("Id"),
        CeilingUsd = UsageEntityMapper.ParseMoney(row.GetString("CeilingUsd")),
        ExpiresAt = row.GetDateTimeOffset("ExpiresAt") ?? default,
        Holds = JsonSerializer.Deserialize<List<ReservationHold>>(row.GetString("Holds"), Json) ?? [],
        Team = row.GetString("Team"),
        Feature = row.GetString("Feature"),
        Model = row.GetString("Model"),
        User = row.GetString("User"),
        Environment = row.GetString("Environment") ?? ControlPlane.Usage.UsageDefaults.Environment,
        App = row.GetString("App"),
        ReservedForEventId = row.GetString("ReservedForEventId"),
        SettledByEventId = row.GetString("SettledByEventId"),
        Status = Enum.Parse<ReservationStatus>(row.GetString("Status")),
    };
}
