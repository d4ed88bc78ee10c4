using Azure;
using Azure.Data.Tables;
using ControlPlane.Azure.Storage;

namespace ControlPlane.Standalone.Functions;

/// <summary>
/// One run per occurrence of a timer, however many standalone hosts share the storage account (the Functions host
/// does the same with a blob lease). Each timer has one row holding the last occurrence claimed and which host claimed
/// it; a host runs an occurrence only if it moves that row forward, conditional on the ETag it read. The row never grows.
/// </summary>
public sealed class TimerClaims(TableProvider tables)
{
    public const string TableName = "TimerClaims";
    private const string Partition = "timer";

    /// <summary>This host, for the life of the process: tells its own claim from another host's.</summary>
    private readonly string _host = Guid.NewGuid().ToString("N");

    /// <summary>True when this host is the one to run <paramref name="function"/> at <paramref name="occurrence"/>.</summary>
    public async Task<bool> TryClaimAsync(string function, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var ticks = occurrence.UtcTicks;
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, function, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            if (!row.HasValue)
            {
                await table.AddEntityAsync(new TableEntity(Partition, function) { ["Occurrence"] = ticks, ["Host"] = _host }, cancellationToken).ConfigureAwait(false);
                return true;
            }

            var claimed = row.Value!;
            if (claimed.GetInt64("Occurrence") >= ticks)
            {
                return false;
            }

            claimed["Occurrence"] = ticks;
            claimed["Host"] = _host;
            await table.UpdateEntityAsync(claimed, claimed.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Another host claimed it between our read and our write — or our own write landed, its answer did not come
            // back within the network timeout, and the SDK's retry met our own claim. Taking that for another host's
            // would leave the occurrence run by nobody: a nightly batch, a weekly or monthly report skipped. So look.
            var now = await table.GetEntityIfExistsAsync<TableEntity>(Partition, function, cancellationToken: cancellationToken).ConfigureAwait(false);
            return now.HasValue && now.Value!.GetInt64("Occurrence") == ticks && now.Value.GetString("Host") == _host;
        }
    }
}
