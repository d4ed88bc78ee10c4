namespace ControlPlane.Usage;

/// <summary>Stable error codes for usage requests. Clients switch on these; never rename one.</summary>
public static class UsageErrors
{
    public const string BatchEmpty = "usage_batch_empty";
    public const string BatchTooLarge = "usage_batch_too_large";
    public const string RequestAmbiguous = "usage_request_ambiguous";
    public const string EventNull = "usage_event_null";
    public const string FieldRequired = "usage_field_required";
    public const string FieldTooLong = "usage_field_too_long";
    public const string FieldInvalid = "usage_field_invalid";
    public const string IdTooLong = "usage_id_too_long";
    public const string DeploymentTypeInvalid = "usage_deployment_type_invalid";
    public const string TokensMissing = "usage_tokens_missing";
    public const string TokensConflict = "usage_tokens_conflict";
    public const string TokensNegative = "usage_tokens_negative";
    public const string TokensTooLarge = "usage_tokens_too_large";
    public const string TokensPartitionInput = "usage_tokens_partition_input";
    public const string TokensPartitionOutput = "usage_tokens_partition_output";
    /// <summary>One event carries two usage shapes (OpenAI Chat Completions, OpenAI Responses, Anthropic Messages,
    /// Gemini <c>usageMetadata</c>): which partition to trust would be a guess.</summary>
    public const string ShapeMixed = "usage_shape_mixed";
    public const string TokensTotalMismatch = "usage_tokens_total_mismatch";
    public const string TimestampInvalid = "usage_timestamp_invalid";
    public const string TimestampTooOld = "usage_timestamp_too_old";
    public const string TimestampInFuture = "usage_timestamp_in_future";
    public const string UnitsInvalid = "usage_units_invalid";

    /// <summary><c>requestHash</c> is not 8–128 characters of <c>[A-Za-z0-9+/=_:-]</c> (a hash, never the prompt itself).</summary>
    public const string RequestHashInvalid = "usage_request_hash_invalid";
    public const string TagsTooMany = "usage_tags_too_many";
    public const string TagInvalid = "usage_tag_invalid";
    public const string LatencyInvalid = "usage_latency_invalid";
    public const string NotFound = "usage_not_found";

    /// <summary>The id lies in the namespace of ids the server writes (<see cref="UsageEventIds.ServerPrefix"/>, or a
    /// legacy server prefix): a client that took one first would make the server's own record a duplicate.</summary>
    public const string IdReserved = "usage_id_reserved";

    /// <summary><c>batch: true</c> or <c>deploymentType: "batch"</c> from a client: batch prices are only for usage
    /// the nightly batch records itself.</summary>
    public const string BatchPriceReserved = "usage_batch_price_reserved";

    /// <summary>The provider is neither in the price sheet nor a documented alias; the message lists the known ones.</summary>
    public const string ProviderUnknown = "usage_provider_unknown";

    /// <summary>The model is priced, but not under the provider named; the message lists the providers that price it.</summary>
    public const string ProviderModelMismatch = "usage_provider_model_mismatch";
    public const string TeamRequired = "usage_team_required";
}
