using System.Globalization;
using CsvHelper;

namespace ControlPlane.Reports.Focus;

/// <summary>
/// Writes charges as a FOCUS 1.2 cost and usage file: the 21 mandatory columns first, then the conditional ones
/// ControlPlane can fill (consumed tokens, service subcategory, the model as the resource), then ControlPlane's own
/// attribution as <c>x_</c> columns. Values in the specification's formats: UTC <c>YYYY-MM-DDTHH:mm:ssZ</c>,
/// plain invariant decimals (no exponent, no grouping), ISO 4217 currency, empty for null.
/// </summary>
public static class FocusCsv
{
    public const string Currency = "USD";
    public const string ServiceCategory = "AI and Machine Learning";
    public const string ServiceSubcategory = "Generative AI";

    /// <summary>Prices are per million tokens, as every AI provider quotes them.</summary>
    public const string PricingUnit = "1M Tokens";
    public const string ConsumedUnit = "Tokens";

    /// <summary>A GPU pool's running time: instances × hours, priced per hour.</summary>
    public const string HoursUnit = "Hours";
    public const string ComputeCategory = "Compute";

    /// <summary>The columns FOCUS 1.2 makes mandatory, in the order this file writes them.</summary>
    public static IReadOnlyList<string> MandatoryColumns { get; } =
    [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
        "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
        "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
        "ServiceCategory", "ServiceName",
    ];

    /// <summary>Conditional FOCUS columns this file fills.</summary>
    public static IReadOnlyList<string> ConditionalColumns { get; } =
        ["ConsumedQuantity", "ConsumedUnit", "ServiceSubcategory", "ResourceId", "ResourceName", "ResourceType", "ChargeFrequency"];

    /// <summary>ControlPlane's attribution, after the FOCUS columns (FOCUS reserves the <c>x_</c> prefix for custom columns).</summary>
    public static IReadOnlyList<string> CustomColumns { get; } =
        ["x_Team", "x_Feature", "x_Environment", "x_App", "x_CostCenter", "x_Model", "x_ChargeKind", "x_Batch", "x_Unpriced"];

    public static IReadOnlyList<string> Columns { get; } = [.. MandatoryColumns, .. ConditionalColumns, .. CustomColumns];

    /// <summary>Writes the file (RFC 4180: UTF-8 without a byte order mark, CRLF line ends, quoted when needed) and returns its row count.</summary>
    public static long Write(Stream output, IEnumerable<FocusCharge> charges, FocusBillingAccount account)
    {
        using var csv = CsvWriter.Create(output, CsvWriterOptions.Default, leaveOpen: true);
        csv.WriteHeader([.. Columns]);
        long rows = 0;
        foreach (var charge in charges)
        {
            csv.WriteRecord([.. Row(charge, account)]);
            rows++;
        }

        csv.Flush();
        return rows;
    }

    private static IEnumerable<string> Row(FocusCharge c, FocusBillingAccount account)
    {
        var billingStart = new DateTimeOffset(c.ChargePeriodStart.Year, c.ChargePeriodStart.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var cost = Amount(c.CostUsd);
        var provider = FocusNames.ProviderOf(c.Provider);
        var gpu = c.Kind == ChargeKind.GpuInstanceHours;
        var resourceId = $"{c.Provider ?? "unknown"}/{c.Model}";

        // Mandatory, in MandatoryColumns order. Costs are what the price sheet charged: no negotiated discount sits
        // between list and billed, so the four cost columns agree (a batch price is its own SKU, not a discount).
        yield return cost;
        yield return account.Id;
        yield return account.Name;
        yield return Currency;
        yield return Time(billingStart.AddMonths(1));
        yield return Time(billingStart);
        yield return "Usage";
        yield return string.Empty; // ChargeClass: null for a regular charge (only corrections say "Correction")
        yield return FocusNames.Describe(c);
        yield return Time(c.ChargePeriodEnd);
        yield return Time(c.ChargePeriodStart);
        yield return cost;
        yield return cost;
        yield return provider;
        yield return cost;
        yield return Amount(gpu ? c.Quantity : c.Quantity / 1_000_000m);
        yield return gpu ? HoursUnit : PricingUnit;
        yield return provider;
        yield return gpu ? provider : FocusNames.PublisherOf(c.Model, provider);
        yield return gpu ? ComputeCategory : ServiceCategory;
        yield return gpu ? "Virtual Machine Scale Sets" : FocusNames.ServiceOf(c.Provider);

        // Conditional.
        yield return Amount(c.Quantity);
        yield return gpu ? HoursUnit : ConsumedUnit;
        yield return gpu ? "Virtual Machines" : ServiceSubcategory;
        yield return resourceId;
        yield return c.Model;
        yield return gpu ? "GPU pool" : "Model";
        yield return "Usage-Based";

        // ControlPlane's attribution.
        yield return c.Team;
        yield return c.Feature;
        yield return c.Environment;
        yield return c.App ?? string.Empty;
        yield return c.CostCenter ?? string.Empty;
        yield return c.Model;
        yield return FocusNames.KindName(c.Kind);
        yield return c.Batch ? "true" : "false";
        yield return c.Unpriced ? "true" : "false";
    }

    /// <summary>FOCUS date-time: UTC, to the second, with a Z.</summary>
    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A plain decimal: invariant, no exponent, no grouping, no trailing zeros after the point.</summary>
    public static string Amount(decimal value)
    {
        var text = value.ToString("0.############################", CultureInfo.InvariantCulture);
        return text == "-0" ? "0" : text;
    }
}

/// <summary>How providers, publishers and services are named in FOCUS columns.</summary>
public static class FocusNames
{
    public static string ProviderOf(string? provider) => provider switch
    {
        "azure-openai" or "azure-ai" or "azure-vmss" => "Microsoft",
        "openai" => "OpenAI",
        "anthropic" => "Anthropic",
        "google" => "Google",
        null => "Unknown",
        _ => provider,
    };

    public static string ServiceOf(string? provider) => provider switch
    {
        "azure-openai" => "Azure OpenAI",
        "azure-ai" => "Azure AI Foundry Models",
        "openai" => "OpenAI API",
        "anthropic" => "Anthropic API",
        "google" => "Gemini API",
        null => "Unknown AI service",
        _ => provider,
    };

    /// <summary>Who made the model, whoever serves it (a GPT model on Azure is published by OpenAI).</summary>
    public static string PublisherOf(string model, string provider)
    {
        var m = model.ToLowerInvariant();
        return m switch
        {
            _ when m.StartsWith("gpt", StringComparison.Ordinal) || m.StartsWith("o1", StringComparison.Ordinal) || m.StartsWith("o3", StringComparison.Ordinal)
                || m.StartsWith("o4", StringComparison.Ordinal) || m.StartsWith("text-embedding", StringComparison.Ordinal)
                || m.StartsWith("dall-e", StringComparison.Ordinal) || m.StartsWith("whisper", StringComparison.Ordinal) => "OpenAI",
            _ when m.StartsWith("claude", StringComparison.Ordinal) => "Anthropic",
            _ when m.StartsWith("gemini", StringComparison.Ordinal) || m.StartsWith("gemma", StringComparison.Ordinal) => "Google",
            _ when m.StartsWith("llama", StringComparison.Ordinal) || m.StartsWith("meta-llama", StringComparison.Ordinal) => "Meta",
            _ when m.StartsWith("mistral", StringComparison.Ordinal) || m.StartsWith("codestral", StringComparison.Ordinal) => "Mistral AI",
            _ when m.StartsWith("phi", StringComparison.Ordinal) => "Microsoft",
            _ when m.StartsWith("deepseek", StringComparison.Ordinal) => "DeepSeek",
            _ => provider,
        };
    }

    public static string KindName(ChargeKind kind) => kind switch
    {
        ChargeKind.Input => "input",
        ChargeKind.CachedInput => "cached-input",
        ChargeKind.CacheWrite => "cache-write",
        ChargeKind.Output => "output",
        ChargeKind.Reasoning => "reasoning",
        ChargeKind.GpuInstanceHours => "gpu-instance-hours",
        _ => "unsplit",
    };

    public static string Describe(FocusCharge c)
    {
        var what = c.Kind switch
        {
            ChargeKind.Input => "input tokens",
            ChargeKind.CachedInput => "cached input tokens",
            ChargeKind.CacheWrite => "cache write tokens",
            ChargeKind.Output => "output tokens",
            ChargeKind.Reasoning => "reasoning tokens",
            ChargeKind.GpuInstanceHours => "GPU instance hours",
            _ => "tokens (recorded before the cost was split by token kind)",
        };
        return $"{c.Model} {what}{(c.Batch ? " (batch)" : string.Empty)}{(c.Unpriced ? " (unpriced)" : string.Empty)}";
    }
}
