namespace ControlPlane.Pricing;

/// <summary>Stable error codes reported by <see cref="PriceEntryValidator"/>; clients switch on them.</summary>
public static class PricingErrors
{
    public const string ProviderMissing = "price_provider_missing";
    public const string ModelMissing = "price_model_missing";
    public const string NameTooLong = "price_name_too_long";
    public const string RateNegative = "price_rate_negative";
    public const string RateTooLarge = "price_rate_too_large";
    public const string DeploymentTypeInvalid = "price_deployment_type_invalid";
    public const string BatchDiscountInvalid = "price_batch_discount_invalid";
    public const string TierMissing = "price_tier_missing";
    public const string TierThresholdInvalid = "price_tier_threshold_invalid";
    public const string TiersNotAscending = "price_tiers_not_ascending";
    public const string TiersTooMany = "price_tiers_too_many";
    public const string SourceInvalid = "price_source_invalid";
}
