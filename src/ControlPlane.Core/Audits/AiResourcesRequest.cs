using System.Text.Json.Serialization;
using ControlPlane.Validation;

namespace ControlPlane.Audits;

/// <summary>
/// <c>PUT /api/ai-resources</c>: <c>{"resources": [entry, ...]}</c>, 1 to <see cref="MaxEntries"/> entries, each
/// created or replaced (upsert) by its resource id. All entries are checked first; one bad entry stores none.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class AiResourcesRequest
{
    public const int MaxEntries = 100;

    public List<AiResourceRequest?>? Resources { get; set; }

    /// <param name="caller">Who approves when an entry does not say (the admin key's name).</param>
    public ValidationResult<IReadOnlyList<ApprovedAiResource>?> Validate(string caller, DateTimeOffset now)
    {
        var errors = new List<ValidationError>();
        if (Resources is not { Count: > 0 })
        {
            errors.Add(new(ShadowAiErrors.ResourcesMissing, "resources", "resources lists 1 or more entries to register."));
            return new(null, errors);
        }

        if (Resources.Count > MaxEntries)
        {
            errors.Add(new(ShadowAiErrors.ResourcesTooMany, "resources", $"One request registers at most {MaxEntries} resources."));
            return new(null, errors);
        }

        var entries = new List<ApprovedAiResource>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Resources.Count; i++)
        {
            var entry = Resources[i];
            if (entry is null)
            {
                errors.Add(new(ShadowAiErrors.ResourceIdInvalid, $"resources[{i}]", "An entry is an object with resourceId and team."));
                continue;
            }

            if (entry.Validate($"resources[{i}]", caller, now, errors) is { } valid)
            {
                if (!seen.Add(AiResourceTypes.Normalize(valid.ResourceId)))
                {
                    errors.Add(new(ShadowAiErrors.ResourceDuplicate, $"resources[{i}].resourceId", "The same resource id (compared case-insensitively) appears twice."));
                }

                entries.Add(valid);
            }
        }

        return errors.Count > 0 ? new(null, errors) : new(entries, []);
    }
}
