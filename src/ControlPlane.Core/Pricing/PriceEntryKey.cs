namespace ControlPlane.Pricing;

/// <summary>
/// Identity of a <see cref="PriceEntry"/> for upserts: provider, model and deployment type compared
/// case-insensitively (ordinal), effective date compared as an instant. An override with the same key
/// as a default entry replaces it.
/// </summary>
public readonly struct PriceEntryKey : IEquatable<PriceEntryKey>
{
    public PriceEntryKey(string provider, string model, string? deploymentType, DateTimeOffset? effectiveFrom)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(model);
        Provider = provider;
        Model = model;
        DeploymentType = deploymentType;
        EffectiveFrom = effectiveFrom;
    }

    public string Provider { get; }

    public string Model { get; }

    public string? DeploymentType { get; }

    public DateTimeOffset? EffectiveFrom { get; }

    public static PriceEntryKey Of(PriceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new PriceEntryKey(entry.Provider, entry.Model, entry.DeploymentType, entry.EffectiveFrom);
    }

    public bool Equals(PriceEntryKey other) =>
        string.Equals(Provider, other.Provider, StringComparison.OrdinalIgnoreCase)
        && string.Equals(Model, other.Model, StringComparison.OrdinalIgnoreCase)
        && string.Equals(DeploymentType, other.DeploymentType, StringComparison.OrdinalIgnoreCase)
        && EffectiveFrom == other.EffectiveFrom;

    public override bool Equals(object? obj) => obj is PriceEntryKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(
        StringComparer.OrdinalIgnoreCase.GetHashCode(Provider ?? ""),
        StringComparer.OrdinalIgnoreCase.GetHashCode(Model ?? ""),
        DeploymentType is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(DeploymentType),
        EffectiveFrom?.UtcTicks ?? long.MinValue);

    public override string ToString() =>
        $"{Provider}/{Model}/{DeploymentType ?? "*"}@{EffectiveFrom?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "always"}";

    public static bool operator ==(PriceEntryKey left, PriceEntryKey right) => left.Equals(right);

    public static bool operator !=(PriceEntryKey left, PriceEntryKey right) => !left.Equals(right);
}
