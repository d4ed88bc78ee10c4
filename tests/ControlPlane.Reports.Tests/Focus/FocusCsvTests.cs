using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsvHelper;

namespace ControlPlane.Reports.Focus;

/// <summary>The FOCUS file, column by column against the 1.2 mandatory columns and their value formats.</summary>
public sealed partial class FocusCsvTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
    private static readonly FocusBillingAccount Account = new("contoso-ai", "Contoso, \"AI\" platform");

    private static readonly FocusCharge[] Charges =
    [
        new(Day, Day.AddDays(1), "azure-openai", "gpt-4o-mini", ChargeKind.CachedInput, 1_234_567, 0.0925925250m, "search", "answers", "prod", App: "web", CostCenter: "CC-1042"),
        new(Day, Day.AddDays(1), "anthropic", "claude-sonnet-4-5", ChargeKind.Output, 2_000, 0.03m, "support", "reply, draft", "prod"),
        new(Day, Day.AddDays(1), null, "my-finetune-v7", ChargeKind.Input, 10, 0m, "labs", "prototype", "dev", Unpriced: true),
        new(Day, Day.AddDays(1), "azure-openai", "gpt-4o-mini", ChargeKind.Output, 500_000, 0.15m, "search", "answers", "prod", Batch: true),
        new(Day, Day.AddDays(1), "azure-vmss", "gpu:a100", ChargeKind.GpuInstanceHours, 4.5m, 36m, "labs", "gpu-pool/a100", "prod"),
    ];

    private static (IReadOnlyList<string> Header, List<Dictionary<string, string>> Rows, string Text) Write(IEnumerable<FocusCharge> charges)
    {
        using var stream = new MemoryStream();
        var rows = FocusCsv.Write(stream, charges, Account);
        var text = Encoding.UTF8.GetString(stream.ToArray());
        stream.Position = 0;
        using var reader = CsvReader.Create(stream, null, leaveOpen: true);
        var records = new List<Dictionary<string, string>>();
        string[]? header = null;
        while (reader.Read())
        {
            header ??= [.. reader.Headers!];
            records.Add(header.Select((h, i) => (h, reader.GetString(i))).ToDictionary(p => p.h, p => p.Item2));
        }

        Assert.Equal(rows, records.Count);
        return (header ?? [.. reader.Headers!], records, text);
    }

    [Fact]
    public void Header_HasEveryMandatoryColumnOnce_ThenConditional_ThenOnlyXPrefixedCustomColumns()
    {
        var (header, _, _) = Write(Charges);
        string[] mandatory =
        [
            "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory",
            "ChargeClass", "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName",
            "ListCost", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
        ];

        Assert.Equal(mandatory, header.Take(21));
        Assert.Equal(header.Count, header.Distinct().Count());
        Assert.All(header.Skip(21 + FocusCsv.ConditionalColumns.Count), c => Assert.StartsWith("x_", c));
        Assert.Contains("ConsumedQuantity", header);
        Assert.Contains("ServiceSubcategory", header);
    }

    [Fact]
    public void Values_AreInTheSpecificationsFormats()
    {
        var (_, rows, text) = Write(Charges);

        Assert.All(rows, row =>
        {
            foreach (var column in new[] { "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd" })
            {
                Assert.Matches(UtcTime(), row[column]);
            }

            foreach (var column in new[] { "BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity", "ConsumedQuantity" })
            {
                Assert.Matches(PlainDecimal(), row[column]);
            }

            Assert.Equal("USD", row["BillingCurrency"]);
            Assert.Equal("Usage", row["ChargeCategory"]);
            Assert.Equal(string.Empty, row["ChargeClass"]);
            var gpu = row["x_ChargeKind"] == "gpu-instance-hours";
            Assert.Equal(gpu ? "Compute" : "AI and Machine Learning", row["ServiceCategory"]);
            Assert.Equal(gpu ? "Virtual Machines" : "Generative AI", row["ServiceSubcategory"]);
            Assert.Equal(gpu ? "Hours" : "Tokens", row["ConsumedUnit"]);
            Assert.Equal(gpu ? "Hours" : "1M Tokens", row["PricingUnit"]);
            Assert.Equal("2026-11-01T00:00:00Z", row["BillingPeriodStart"]);
            Assert.Equal("2026-12-01T00:00:00Z", row["BillingPeriodEnd"]);
            Assert.Equal("2026-11-30T00:00:00Z", row["ChargePeriodStart"]);
            Assert.Equal("2026-12-01T00:00:00Z", row["ChargePeriodEnd"]);
            Assert.Equal(Account.Name, row["BillingAccountName"]); // quoted and escaped, read back whole
        });
        Assert.DoesNotContain("E-", text, StringComparison.Ordinal);
        Assert.Contains("\r\n", text, StringComparison.Ordinal);
        Assert.False(text.StartsWith('\uFEFF'));
    }

    [Fact]
    public void Rows_CarryTheChargeExactly_WithProviderPublisherAndAttribution()
    {
        var (_, rows, _) = Write(Charges);
        var cached = rows[0];
        var claude = rows[1];
        var unpriced = rows[2];

        Assert.Equal("0.092592525", cached["BilledCost"]);
        Assert.Equal("1.234567", cached["PricingQuantity"]);
        Assert.Equal("1234567", cached["ConsumedQuantity"]);
        Assert.Equal("Microsoft", cached["ProviderName"]);
        Assert.Equal("Microsoft", cached["InvoiceIssuerName"]);
        Assert.Equal("OpenAI", cached["PublisherName"]);
        Assert.Equal("Azure OpenAI", cached["ServiceName"]);
        Assert.Equal("gpt-4o-mini cached input tokens", cached["ChargeDescription"]);
        Assert.Equal(("search", "answers", "web", "CC-1042", "cached-input"), (cached["x_Team"], cached["x_Feature"], cached["x_App"], cached["x_CostCenter"], cached["x_ChargeKind"]));
        Assert.Equal(("Anthropic", "Anthropic", "reply, draft"), (claude["ProviderName"], claude["PublisherName"], claude["x_Feature"]));
        Assert.Equal(("0", "true", "Unknown"), (unpriced["BilledCost"], unpriced["x_Unpriced"], unpriced["ProviderName"]));
        Assert.Equal("gpt-4o-mini output tokens (batch)", rows[3]["ChargeDescription"]);
        Assert.Equal(("4.5", "4.5", "36", "Virtual Machine Scale Sets"), (rows[4]["PricingQuantity"], rows[4]["ConsumedQuantity"], rows[4]["BilledCost"], rows[4]["ServiceName"]));
        Assert.Equal(Charges.Sum(c => c.CostUsd), rows.Sum(r => decimal.Parse(r["BilledCost"], CultureInfo.InvariantCulture)));
        Assert.All(rows, r => Assert.Equal(r["BilledCost"], r["EffectiveCost"]));
    }

    [Fact]
    public void NoCharges_IsAHeaderOnlyFile()
    {
        var (header, rows, text) = Write([]);

        Assert.Empty(rows);
        Assert.Equal(string.Join(',', FocusCsv.Columns) + "\r\n", text);
        Assert.Equal(FocusCsv.Columns, header);
    }

    [Theory]
    [InlineData("0.00000000000000000001", "0.00000000000000000001")]
    [InlineData("1234567.5000", "1234567.5")]
    [InlineData("-0.0", "0")]
    [InlineData("79228162514264337593543950335", "79228162514264337593543950335")]
    public void Amounts_ArePlainDecimals(string value, string expected) =>
        Assert.Equal(expected, FocusCsv.Amount(decimal.Parse(value, CultureInfo.InvariantCulture)));

    [Fact]
    public void Manifest_HasAzureExportsShape_AndCountsTheFile()
    {
        var bytes = FocusManifest.Build("controlplane-monthly", "reports/monthly/2026-11", "run-1", false, Day.AddDays(1).AddHours(6),
            new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero),
            [("reports/monthly/2026-11/focus.csv", 1234, 4)]);
        using var manifest = JsonDocument.Parse(bytes);
        var root = manifest.RootElement;

        Assert.Equal("2024-04-01", root.GetProperty("manifestVersion").GetString());
        Assert.Equal(1234, root.GetProperty("byteCount").GetInt64());
        Assert.Equal(1, root.GetProperty("blobCount").GetInt32());
        Assert.Equal(4, root.GetProperty("dataRowCount").GetInt64());
        Assert.Equal("FocusCost", root.GetProperty("exportConfig").GetProperty("type").GetString());
        Assert.Equal("1.2", root.GetProperty("exportConfig").GetProperty("dataVersion").GetString());
        Assert.Equal("Csv", root.GetProperty("deliveryConfig").GetProperty("fileFormat").GetString());
        Assert.Equal("Scheduled", root.GetProperty("runInfo").GetProperty("executionType").GetString());
        Assert.Equal("2026-11-01T00:00:00Z", root.GetProperty("runInfo").GetProperty("startDate").GetString());
        Assert.Equal("reports/monthly/2026-11/focus.csv", root.GetProperty("blobs")[0].GetProperty("blobName").GetString());
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\z")]
    private static partial Regex UtcTime();

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?\z")]
    private static partial Regex PlainDecimal();
}
