using System.Text.Json.Serialization;
using ControlPlane.Validation;

namespace ControlPlane.Audits;

/// <summary>
/// One approved resource: its ARM id, owning team, purpose and, optionally, who approved it when (default: the caller,
/// now). The parameters of a <c>register-resource</c> proposed action have this shape.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class AiResourceRequest
{
    public const int MaxIdLength = 1024;
    public const int MaxTextLength = 512;

    public string? ResourceId { get; set; }
    public string? Team { get; set; }
    public string? Purpose { get; set; }
    public string? ApprovedBy { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }

    /// <summary>The entry, or null after adding its problems to <paramref name="errors"/>.</summary>
    public ApprovedAiResource? Validate(string field, string caller, DateTimeOffset now, List<ValidationError> errors)
    {
        var before = errors.Count;
        if (!IsResourceId(ResourceId))
        {
            errors.Add(new(ShadowAiErrors.ResourceIdInvalid, $"{field}.resourceId",
                $"resourceId is an ARM resource id (/subscriptions/{{id}}/resourceGroups/{{group}}/providers/{{namespace}}/{{type}}/{{name}}), at most {MaxIdLength} characters."));
        }

        if (string.IsNullOrWhiteSpace(Team))
        {
            errors.Add(new(ShadowAiErrors.TeamRequired, $"{field}.team", "team (the owner of the resource's spend) is required."));
        }
        else
        {
            CheckText(Team, $"{field}.team", errors);
        }

        CheckText(Purpose, $"{field}.purpose", errors);
        CheckText(ApprovedBy, $"{field}.approvedBy", errors);
        if (ApprovedAt is { } at && at > now.AddMinutes(5))
        {
            errors.Add(new(ShadowAiErrors.FieldInvalid, $"{field}.approvedAt", "approvedAt cannot lie in the future."));
        }

        return errors.Count > before
            ? null
            : new ApprovedAiResource(ResourceId!.Trim().TrimEnd('/'), Team!.Trim(), Trim(Purpose), Trim(ApprovedBy) ?? caller, ApprovedAt ?? now, now);
    }

    /// <summary>A resource id under a subscription naming a provider, without control characters.</summary>
    public static bool IsResourceId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxIdLength || id.Any(char.IsControl))
        {
            return false;
        }

        var segments = id.Trim().Trim('/').Split('/');
        return id.TrimStart().StartsWith('/') && segments.Length >= 4
            && segments[0].Equals("subscriptions", StringComparison.OrdinalIgnoreCase) && segments[1].Length > 0
            && segments.Contains("providers", StringComparer.OrdinalIgnoreCase) && segments.All(s => s.Length > 0);
    }

    private static void CheckText(string? value, string field, List<ValidationError> errors)
    {
        if (value is not null && (value.Length > MaxTextLength || value.Any(char.IsControl)))
        {
            errors.Add(new(ShadowAiErrors.FieldInvalid, field, $"{field} is at most {MaxTextLength} characters, without control characters."));
        }
    }

    private static string? Trim(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
