using System.Globalization;
using ControlPlane.Validation;

namespace ControlPlane.Pricing;

/// <summary>
/// Checks a <see cref="PriceEntry"/> at the boundary and reports every problem at once, each with a stable
/// code from <see cref="PricingErrors"/> and the JSON path of the offending field.
/// </summary>
public static class PriceEntryValidator
{
    /// <summary>Longest provider or model name accepted.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Highest rate accepted, USD per million tokens: far above any real price, low enough to catch a
    /// price typed per token or per thousand by mistake, and to keep every cost exact in <see cref="decimal"/>.</summary>
    public const decimal MaxRatePerMTok = 100_000m;

    /// <summary>Most long-context tiers an entry may carry.</summary>
    public const int MaxTiers = 8;

    /// <summary>Longest source URL accepted.</summary>
    public const int MaxSourceLength = 2048;

    /// <param name="entry">The entry to check.</param>
    /// <param name="fieldPrefix">JSON path of the entry in its request, for example <c>prices[2]</c>;
    /// empty when the entry is the whole request.</param>
    public static IEnumerable<ValidationError> Validate(PriceEntry entry, string fieldPrefix)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(fieldPrefix);
        var errors = new List<ValidationError>();

        ValidateName(errors, entry.Provider, Field(fieldPrefix, "provider"), PricingErrors.ProviderMissing);
        ValidateName(errors, entry.Model, Field(fieldPrefix, "model"), PricingErrors.ModelMissing);

        if (entry.DeploymentType is not null && !DeploymentTypes.IsKnown(entry.DeploymentType))
        {
            errors.Add(new ValidationError(
                PricingErrors.DeploymentTypeInvalid,
                Field(fieldPrefix, "deploymentType"),
                $"deploymentType must be one of {string.Join(", ", DeploymentTypes.All)}."));
        }

        ValidateRate(errors, entry.InputPerMTok, Field(fieldPrefix, "inputPerMTok"));
        ValidateRate(errors, entry.CachedInputPerMTok, Field(fieldPrefix, "cachedInputPerMTok"));
        ValidateRate(errors, entry.CacheWritePerMTok, Field(fieldPrefix, "cacheWritePerMTok"));
        ValidateRate(errors, entry.OutputPerMTok, Field(fieldPrefix, "outputPerMTok"));
        ValidateRate(errors, entry.ReasoningPerMTok, Field(fieldPrefix, "reasoningPerMTok"));
        ValidateRate(errors, entry.BatchInputPerMTok, Field(fieldPrefix, "batchInputPerMTok"));
        ValidateRate(errors, entry.BatchOutputPerMTok, Field(fieldPrefix, "batchOutputPerMTok"));

        if (entry.BatchDiscount is { } discount && (discount < 0m || discount > 1m))
        {
            errors.Add(new ValidationError(
                PricingErrors.BatchDiscountInvalid,
                Field(fieldPrefix, "batchDiscount"),
                "batchDiscount is the fraction taken off for batch calls and must be between 0 and 1."));
        }

        if (entry.Tiers is { } tiers)
        {
            ValidateTiers(errors, tiers, Field(fieldPrefix, "tiers"));
        }

        if (entry.Source is { } source && !IsPublicUrl(source))
        {
            errors.Add(new ValidationError(
                PricingErrors.SourceInvalid,
                Field(fieldPrefix, "source"),
                $"source must be an absolute http or https URL of at most {MaxSourceLength} characters."));
        }

        return errors;
    }

    private static void ValidateTiers(List<ValidationError> errors, IReadOnlyList<PriceTier> tiers, string tiersField)
    {
        if (tiers.Count > MaxTiers)
        {
            errors.Add(new ValidationError(
                PricingErrors.TiersTooMany,
                tiersField,
                $"An entry may have at most {MaxTiers} tiers; this one has {tiers.Count}."));
        }

        PriceTier? previous = null;
        for (var i = 0; i < tiers.Count; i++)
        {
            var tierField = string.Create(CultureInfo.InvariantCulture, $"{tiersField}[{i}]");
            var tier = tiers[i];
            if (tier is null)
            {
                errors.Add(new ValidationError(PricingErrors.TierMissing, tierField, "A tier must be an object, not null."));
                continue;
            }

            var thresholdField = Field(tierField, "aboveInputTokens");
            if (tier.AboveInputTokens < 0)
            {
                errors.Add(new ValidationError(
                    PricingErrors.TierThresholdInvalid,
                    thresholdField,
                    "aboveInputTokens must be 0 or more."));
            }

            if (previous is not null && tier.AboveInputTokens <= previous.AboveInputTokens)
            {
                errors.Add(new ValidationError(
                    PricingErrors.TiersNotAscending,
                    thresholdField,
                    tier.AboveInputTokens == previous.AboveInputTokens
                        ? "Two tiers share the same aboveInputTokens; each threshold may appear once."
                        : "Tiers must be listed by strictly ascending aboveInputTokens."));
            }

            ValidateRate(errors, tier.InputPerMTok, Field(tierField, "inputPerMTok"));
            ValidateRate(errors, tier.CachedInputPerMTok, Field(tierField, "cachedInputPerMTok"));
            ValidateRate(errors, tier.CacheWritePerMTok, Field(tierField, "cacheWritePerMTok"));
            ValidateRate(errors, tier.OutputPerMTok, Field(tierField, "outputPerMTok"));
            ValidateRate(errors, tier.ReasoningPerMTok, Field(tierField, "reasoningPerMTok"));
            previous = tier;
        }
    }

    private static void ValidateName(List<ValidationError> errors, string? value, string field, string missingCode)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new ValidationError(missingCode, field, $"{field} is required."));
        }
        else if (value.Length > MaxNameLength)
        {
            errors.Add(new ValidationError(
                PricingErrors.NameTooLong,
                field,
                $"{field} must be at most {MaxNameLength} characters."));
        }
    }

    private static void ValidateRate(List<ValidationError> errors, decimal? rate, string field)
    {
        if (rate is not { } value)
        {
            return;
        }

        if (value < 0m)
        {
            errors.Add(new ValidationError(PricingErrors.RateNegative, field, "A price cannot be negative."));
        }
        else if (value > MaxRatePerMTok)
        {
            errors.Add(new ValidationError(
                PricingErrors.RateTooLarge,
                field,
                $"Prices are USD per million tokens and may not exceed {MaxRatePerMTok}; was the price entered per token or per thousand?"));
        }
    }

    private static bool IsPublicUrl(string source) =>
        source.Length <= MaxSourceLength
        && Uri.TryCreate(source, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static string Field(string prefix, string name) =>
        prefix.Length == 0 ? name : string.Concat(prefix, ".", name);
}
