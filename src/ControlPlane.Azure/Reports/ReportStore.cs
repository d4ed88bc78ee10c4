using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using ControlPlane.Azure.Storage;
using ControlPlane.Paging;
using ControlPlane.Reports;

namespace ControlPlane.Azure.Reports;

/// <summary>
/// Report records in the <c>Reports</c> table (one row per kind and period, ETag-guarded) and their files in the
/// <c>reports</c> container under <c>{kind}/{period}/{name}</c> — the report's folder <c>reports/{kind}/{period}/</c>.
/// Running a period again overwrites the same blobs, so its files are replaced, never duplicated.
/// </summary>
public sealed class ReportStore(TableProvider tables, BlobProvider blobs) : IReportStore
{
    public const string TableName = "Reports";
    public const string ContainerName = "reports";
    private const string Partition = "report";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<StoredReport?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, TableKeys.Escape(id), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? Read(row.Value!) : null;
    }

    public async Task<bool> TryCreateAsync(Report report, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(ToEntity(report), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(Report report, string etag, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        try
        {
            await table.UpdateEntityAsync(ToEntity(report), new ETag(etag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <summary>A year holds 12 monthly and 53 weekly reports: the list is read whole and paged newest first.</summary>
    public async Task<ListPage<Report>> ListAsync(ReportKind? kind, PageRequest page, CancellationToken cancellationToken = default)
    {
        var table = await tables.GetTableAsync(TableName, cancellationToken).ConfigureAwait(false);
        var all = new List<Report>();
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{Partition}'", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var report = Read(row).Report;
            if (kind is null || report.Kind == kind)
            {
                all.Add(report);
            }
        }

        // Newest first: the key is the period's start counted down, then the id.
        return page.Slice(all, r => (long.MaxValue - r.Start.UtcTicks).ToString("D20", CultureInfo.InvariantCulture) + "|" + r.Id);
    }

    public async Task SaveFileAsync(string folder, string name, string contentType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var container = await blobs.GetContainerAsync(ContainerName, cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(BlobName(folder, name)).UploadAsync(BinaryData.FromBytes(content),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ReadOnlyMemory<byte>?> ReadFileAsync(string folder, string name, CancellationToken cancellationToken = default)
    {
        var container = await blobs.GetContainerAsync(ContainerName, cancellationToken).ConfigureAwait(false);
        try
        {
            var content = await container.GetBlobClient(BlobName(folder, name)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return content.Value.Content.ToMemory();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The blob name inside the <c>reports</c> container: the folder without its leading <c>reports/</c>.</summary>
    public static string BlobName(string folder, string name) =>
        (folder.StartsWith(ContainerName + "/", StringComparison.Ordinal) ? folder[(ContainerName.Length + 1)..] : folder) + "/" + name;

    private static TableEntity ToEntity(Report report) => new(Partition, TableKeys.Escape(report.Id))
    {
        ["Json"] = JsonSerializer.Serialize(report, Json),
    };

    private static StoredReport Read(TableEntity row) =>
        new(JsonSerializer.Deserialize<Report>(row.GetString("Json"), Json) ?? throw new InvalidDataException($"Report row {row.RowKey} holds no report."), row.ETag.ToString());
}
