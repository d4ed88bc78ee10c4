using System.Text.Json;

namespace ControlPlane.Pricing;

/// <summary>
/// The price sheet shipped with ControlPlane (<c>Pricing/default-prices.json</c>, embedded): public list prices
/// with their sources and as-of dates. Admins override entries with <c>PUT /api/prices</c>.
/// </summary>
public static class DefaultPriceSheet
{
    public const string ResourceName = "ControlPlane.Pricing.default-prices.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Lazy<SheetFile> File = new(Read);

    public static IReadOnlyList<PriceEntry> Load() => File.Value.Prices;

    /// <summary>The day the shipped prices were last checked.</summary>
    public static DateOnly AsOf => File.Value.AsOf;

    private static SheetFile Read()
    {
        using var stream = typeof(DefaultPriceSheet).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded price sheet {ResourceName} is missing.");
        return JsonSerializer.Deserialize<SheetFile>(stream, Json)
            ?? throw new InvalidOperationException("The embedded price sheet is empty.");
    }

    private sealed record SheetFile(DateOnly AsOf, string? Notes, IReadOnlyList<PriceEntry> Prices);
}
