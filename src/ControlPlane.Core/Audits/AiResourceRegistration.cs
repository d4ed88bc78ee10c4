using System.Text.Json;
using ControlPlane.Validation;

namespace ControlPlane.Audits;

/// <summary>
/// Registers approved AI resources: what <c>PUT /api/ai-resources</c> does, and what applying a finding's
/// <c>register-resource</c> proposed action does (the same validation, the same store), so the two cannot drift.
/// </summary>
public sealed class AiResourceRegistration(IAiResourceRegistry registry, TimeProvider time)
{
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web) { AllowDuplicateProperties = false };

    /// <summary>Validates every entry and stores them all, or none: the stored entries, or every problem.</summary>
    /// <param name="caller">Who approves when an entry does not say (the admin's key id).</param>
    public async Task<ValidationResult<IReadOnlyList<ApprovedAiResource>?>> RegisterAsync(AiResourcesRequest request, string caller, CancellationToken cancellationToken = default)
    {
        var validated = request.Validate(caller, time.GetUtcNow());
        if (validated.IsValid)
        {
            await registry.UpsertAsync(validated.Value!, cancellationToken).ConfigureAwait(false);
        }

        return validated;
    }

    /// <summary>
    /// Carries out a <c>register-resource</c> proposed action: its parameters are one <c>PUT /api/ai-resources</c>
    /// entry (<see cref="AiResourceRequest"/>). Parameters that no longer validate (edited, or the id malformed) are
    /// refused with the same codes the PUT uses.
    /// </summary>
    public async Task<ValidationResult<IReadOnlyList<ApprovedAiResource>?>> ApplyRegisterResourceAsync(JsonElement parameters, string caller, CancellationToken cancellationToken = default)
    {
        AiResourceRequest? entry;
        try
        {
            entry = parameters.ValueKind == JsonValueKind.Object ? parameters.Deserialize<AiResourceRequest>(Strict) : null;
        }
        catch (JsonException e)
        {
            return new(null, [new ValidationError(ShadowAiErrors.FieldInvalid, "parameters", $"The register-resource parameters are not an ai-resources entry: {e.Message}")]);
        }

        return entry is null
            ? new(null, [new ValidationError(ShadowAiErrors.ResourcesMissing, "parameters", "The register-resource parameters are one ai-resources entry (an object).")])
            : await RegisterAsync(new AiResourcesRequest { Resources = [entry] }, caller, cancellationToken).ConfigureAwait(false);
    }
}
