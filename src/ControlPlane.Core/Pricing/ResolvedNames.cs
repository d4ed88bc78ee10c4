namespace ControlPlane.Pricing;

/// <summary>
/// What a <see cref="PriceSheet"/> makes of the provider and model names a call reports (see
/// <see cref="PriceSheet.ResolveNames"/>).
/// </summary>
/// <param name="Provider">Canonical provider (<see cref="ProviderNames.Normalize"/>), or <c>null</c> when none was given.</param>
/// <param name="Model">The sheet's spelling of a known model; an unknown model trimmed and in lower case.</param>
/// <param name="ProviderKnown">Whether the sheet (or a documented alias) knows the provider; true when none was given.</param>
/// <param name="ProvidersOfModel">Canonical providers the sheet prices the model under, sorted; empty for an unknown model.</param>
public readonly record struct ResolvedNames(string? Provider, string Model, bool ProviderKnown, IReadOnlyList<string> ProvidersOfModel)
{
    /// <summary>Whether any provider prices the model.</summary>
    public bool ModelKnown => ProvidersOfModel.Count > 0;

    /// <summary>False when a provider was named that does not price a model other providers do: such a call
    /// would otherwise be recorded unpriced, at $0, although its price is known.</summary>
    public bool ProviderPricesModel => Provider is null || !ModelKnown || ProvidersOfModel.Contains(Provider, StringComparer.Ordinal);
}
