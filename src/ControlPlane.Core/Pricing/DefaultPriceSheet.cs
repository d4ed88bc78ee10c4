using System.Collections.ObjectModel;
using System.Text.Json;

namespace ControlPlane.Pricing;

/// <summary>
/// The price sheet shipped with ControlPlane: public list prices with their sources, embedded from
/// <c>Pricing/default-prices.json</c>. Administrators replace or add entries with <c>PUT /api/prices</c>;
/// <see cref="PriceSheet.Create"/> layers those overrides on top.
/// </summary>
public static class DefaultPriceSheet
{
    internal const string ResourceName = "ControlPlane.Pricing.default-prices.json";

    private static readonly Lazy<ReadOnlyCollection<PriceEntry>> Entries = new(Parse);

    /// <summary>The shipped entries, parsed once and shared.</summary>
    /// <exception cref="InvalidOperationException">The embedded sheet is missing or unreadable (a build defect).</exception>
    public static IReadOnlyList<PriceEntry> Load() => Entries.Value;

    private static ReadOnlyCollection<PriceEntry> Parse()
    {
        using var stream = typeof(DefaultPriceSheet).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        var document = JsonSerializer.Deserialize<Document>(stream, JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is empty.");
        return (document.Prices ?? []).ToArray().AsReadOnly();
    }

    private sealed record Document(DateOnly? AsOf, string? Notes, IReadOnlyList<PriceEntry>? Prices);
}
