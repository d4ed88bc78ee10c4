using ControlPlane.Validation;

namespace ControlPlane.Pricing;

/// <summary>Checks an admin's price entry and reports every problem at once.</summary>
public static class PriceEntryValidator
{
    public const int MaxNameLength = 256;
    public const int MaxTiers = 8;

    /// <summary>No real model costs more than this per million tokens; a larger number is a unit mistake.</summary>
    public const decimal MaxRatePerMTok = 100_000m;

    private static readonly HashSet<string> DeploymentTypes =
        new(["global", "datazone", "regional", "batch", "provisioned"], StringComparer.OrdinalIgnoreCase);

    public static IEnumerable<ValidationError> Validate(PriceEntry entry, string fieldPrefix)
    {
        var errors = new List<ValidationError>();
        Name(entry.Provider, $"{fieldPrefix}.provider", PricingErrors.ProviderMissing, errors);
        Name(entry.Model, $"{fieldPrefix}.model", PricingErrors.ModelMissing, errors);
        if (entry.DeploymentType is { } type && !DeploymentTypes.Contains(type))
        {
            errors.Add(new(PricingErrors.DeploymentTypeInvalid, $"{fieldPrefix}.deploymentType",
                "deploymentType must be one of global, datazone, regional, batch, provisioned."));
        }

        Rate(entry.InputPerMTok, $"{fieldPrefix}.inputPerMTok", errors);
        Rate(entry.CachedInputPerMTok, $"{fieldPrefix}.cachedInputPerMTok", errors);
        Rate(entry.CacheWritePerMTok, $"{fieldPrefix}.cacheWritePerMTok", errors);
        Rate(entry.OutputPerMTok, $"{fieldPrefix}.outputPerMTok", errors);
        Rate(entry.ReasoningPerMTok, $"{fieldPrefix}.reasoningPerMTok", errors);
        Rate(entry.BatchInputPerMTok, $"{fieldPrefix}.batchInputPerMTok", errors);
        Rate(entry.BatchOutputPerMTok, $"{fieldPrefix}.batchOutputPerMTok", errors);
        if (entry.BatchDiscount is < 0m or > 1m)
        {
            errors.Add(new(PricingErrors.BatchDiscountInvalid, $"{fieldPrefix}.batchDiscount", "batchDiscount is a fraction between 0 and 1."));
        }

        if (entry.Source is { Length: > 2048 })
        {
            errors.Add(new(PricingErrors.SourceTooLong, $"{fieldPrefix}.source", "source is longer than 2,048 characters."));
        }

        Tiers(entry.Tiers, fieldPrefix, errors);
        return errors;
    }

    private static void Tiers(IReadOnlyList<PriceTier>? tiers, string fieldPrefix, List<ValidationError> errors)
    {
        if (tiers is null)
        {
            return;
        }

        if (tiers.Count > MaxTiers)
        {
            errors.Add(new(PricingErrors.TiersTooMany, $"{fieldPrefix}.tiers", $"At most {MaxTiers} tiers."));
            return;
        }

        for (var i = 0; i < tiers.Count; i++)
        {
            var tier = tiers[i];
            var path = $"{fieldPrefix}.tiers[{i}]";
            if (tier is null)
            {
                errors.Add(new(PricingErrors.TierThresholdInvalid, path, "A tier is null."));
                continue;
            }

            if (tier.AboveInputTokens < 0)
            {
                errors.Add(new(PricingErrors.TierThresholdInvalid, $"{path}.aboveInputTokens", "aboveInputTokens cannot be negative."));
            }
            else if (i > 0 && tiers[i - 1] is { } previous && tier.AboveInputTokens <= previous.AboveInputTokens)
            {
                errors.Add(new(PricingErrors.TiersNotAscending, $"{path}.aboveInputTokens", "Tiers must be listed by strictly ascending aboveInputTokens."));
            }

            Rate(tier.InputPerMTok, $"{path}.inputPerMTok", errors);
            Rate(tier.CachedInputPerMTok, $"{path}.cachedInputPerMTok", errors);
            Rate(tier.CacheWritePerMTok, $"{path}.cacheWritePerMTok", errors);
            Rate(tier.OutputPerMTok, $"{path}.outputPerMTok", errors);
            Rate(tier.ReasoningPerMTok, $"{path}.reasoningPerMTok", errors);
        }
    }

    private static void Name(string? value, string field, string missingCode, List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new(missingCode, field, $"{field[(field.LastIndexOf('.') + 1)..]} is required."));
        }
        else if (value.Length > MaxNameLength)
        {
            errors.Add(new(PricingErrors.NameTooLong, field, $"Longer than {MaxNameLength} characters."));
        }
    }

    private static void Rate(decimal? rate, string field, List<ValidationError> errors)
    {
        if (rate < 0)
        {
            errors.Add(new(PricingErrors.RateNegative, field, "Prices cannot be negative."));
        }
        else if (rate > MaxRatePerMTok)
        {
            errors.Add(new(PricingErrors.RateTooLarge, field, $"Prices are per million tokens and at most {MaxRatePerMTok:N0}."));
        }
    }
}
