namespace ControlPlane.Batch;

/// <summary>Stable error codes of deferrable requests.</summary>
public static class BatchErrors
{
    public const string BodyRequired = "batch_body_required";
    public const string BodyInvalid = "batch_body_invalid";
    public const string BodyTooLarge = "batch_body_too_large";
    public const string MessagesRequired = "batch_messages_required";
    public const string StreamingUnsupported = "batch_streaming_unsupported";
    public const string MaxTokensConflict = "batch_max_tokens_conflict";
    public const string MetadataInvalid = "batch_metadata_invalid";
    public const string IdInvalid = "batch_request_id_invalid";
    public const string ModelUnpriced = "batch_model_unpriced";
    public const string Denied = "batch_request_denied";
    public const string NotFound = "batch_request_not_found";
    public const string AlreadySubmitted = "batch_request_already_submitted";
    public const string AlreadyFinished = "batch_request_finished";
    public const string StatusInvalid = "batch_request_status_invalid";
    public const string IdConflict = "batch_request_id_conflict";
    public const string TeamRequired = "batch_request_team_required";

    /// <summary>Per-request failure codes ControlPlane assigns when the provider's own is missing.</summary>
    public const string ResultMissing = "batch_result_missing";
    public const string BatchExpired = "batch_expired";
    public const string BatchCancelled = "batch_cancelled";
    public const string BatchFailed = "batch_failed";
    public const string UploadRefused = "batch_upload_refused";
    public const string ReservationNotLive = "batch_reservation_not_live";
}

/// <summary>
/// A nightly step failed on Azure OpenAI: <c>provider_unavailable</c> (429, 5xx, no answer) or <c>provider_refused</c>
/// (a wrong key, a missing role, a wrong endpoint — an admin may fix it meanwhile). Both are retried; the message
/// starts with the code so a failed run's last error names what to fix.
/// </summary>
public sealed class BatchStepException(string code, string message, Exception? inner = null) : Exception($"{code}: {message}", inner)
{
    public const string ProviderUnavailable = "provider_unavailable";
    public const string ProviderRefused = "provider_refused";

    public string Code { get; } = code;

    public static BatchStepException From(BatchGatewayException ex) => ex.IsTransient
        ? new(ProviderUnavailable, $"Azure OpenAI answered {ex.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}: {ex.Message}", ex)
        : new(ProviderRefused, $"Azure OpenAI answered {ex.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture)} {ex.ErrorCode}: {ex.Message}", ex);
}
