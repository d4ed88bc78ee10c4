using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Reports.Focus;

/// <summary>
/// The <c>manifest.json</c> Azure Cost Management writes beside every export run (manifest version 2024-04-01), so
/// tools that load Azure's FOCUS exports — FinOps hubs, Fabric, Power BI — find and load ours the same way.
/// </summary>
public static class FocusManifest
{
    public const string ManifestVersion = "2024-04-01";
    public const string DataVersion = "1.2";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <param name="exportName">Names the export (the report kind: <c>controlplane-monthly</c>).</param>
    /// <param name="folder">Where the files are, as the export's root folder path (<c>reports/monthly/2026-11</c>).</param>
    /// <param name="onDemand">True for a report an admin ran by hand; false for a scheduled one.</param>
    public static byte[] Build(
        string exportName, string folder, string runId, bool onDemand, DateTimeOffset submitted, DateTimeOffset start, DateTimeOffset end,
        IReadOnlyList<(string BlobName, long Bytes, long Rows)> blobs) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            manifestVersion = ManifestVersion,
            byteCount = blobs.Sum(b => b.Bytes),
            blobCount = blobs.Count,
            dataRowCount = blobs.Sum(b => b.Rows),
            exportConfig = new
            {
                exportName,
                resourceId = (string?)null,
                dataVersion = DataVersion,
                apiVersion = (string?)null,
                type = "FocusCost",
                timeFrame = "Custom",
                granularity = "Daily",
            },
            deliveryConfig = new
            {
                partitionData = false,
                dataOverwriteBehavior = "OverwritePreviousReport",
                fileFormat = "Csv",
                compressionMode = "None",
                containerUri = (string?)null,
                rootFolderPath = folder,
            },
            runInfo = new
            {
                executionType = onDemand ? "OnDemand" : "Scheduled",
                submittedTime = submitted.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                runId,
                startDate = FocusCsv.Time(start),
                endDate = FocusCsv.Time(end),
            },
            blobs = blobs.Select(b => new { blobName = b.BlobName, byteCount = b.Bytes, dataRowCount = b.Rows }),
        }, Json);
}
