using System.Text.Json;
using ControlPlane.Validation;

namespace ControlPlane.Audits;

/// <summary>
/// Reads the JSON <c>az resource list</c> prints: an array of resources, each with <c>id</c>, <c>name</c>,
/// <c>type</c>, <c>kind</c>, <c>location</c>, <c>resourceGroup</c>, <c>tags</c>, <c>sku</c>, <c>plan</c>,
/// <c>properties</c>... Keeps the AI resources (<see cref="AiResourceTypes"/>) and account deployments
/// (<c>Microsoft.CognitiveServices/accounts/deployments</c>, which <c>az cognitiveservices account deployment list</c>
/// or a merged export may include); other types are counted and dropped. Every malformed entry is reported, with its index.
/// </summary>
public static class ShadowAiUploadParser
{
    /// <summary>Most entries one file may hold (a large tenant's whole resource list fits).</summary>
    public const int MaxEntries = 100_000;

    private const int MaxReportedErrors = 20;

    public static ValidationResult<ShadowAiUpload?> Parse(JsonElement root, IReadOnlyCollection<string> aiPublishers, string uploadedBy, DateTimeOffset now)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            return Fail(new(ShadowAiErrors.InventoryShapeInvalid, "$",
                $"The inventory is a JSON array of resources, as 'az resource list -o json' prints; this is a JSON {root.ValueKind.ToString().ToLowerInvariant()}."));
        }

        var count = root.GetArrayLength();
        if (count > MaxEntries)
        {
            return Fail(new(ShadowAiErrors.InventoryTooManyResources, "$", $"One upload holds at most {MaxEntries:N0} resources; this one has {count:N0}."));
        }

        var errors = new List<ValidationError>();
        var resources = new List<AiResource>();
        var deployments = new List<AiDeployment>();
        var index = 0;
        foreach (var entry in root.EnumerateArray())
        {
            var field = $"$[{index++}]";
            if (entry.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(ShadowAiErrors.InventoryShapeInvalid, field, "Each entry is a resource object."));
                continue;
            }

            var id = Text(entry, "id");
            var type = Text(entry, "type");
            if (!AiResourceRequest.IsResourceId(id) || string.IsNullOrWhiteSpace(type))
            {
                errors.Add(new(ShadowAiErrors.InventoryResourceInvalid, field, "Each resource has an ARM id ('id') and a type ('type')."));
                continue;
            }

            if (string.Equals(type, AiResourceTypes.Deployment, StringComparison.OrdinalIgnoreCase))
            {
                deployments.Add(ReadDeployment(entry, id!, "upload"));
                continue;
            }

            var publisher = Publisher(entry);
            if (AiResourceTypes.IsAiResource(type, publisher, aiPublishers))
            {
                resources.Add(new AiResource(id!, Text(entry, "name") ?? id![(id!.LastIndexOf('/') + 1)..], type, Text(entry, "kind"), Text(entry, "location"),
                    Text(entry, "resourceGroup"), Tags(entry), Sku(entry)?.Name, publisher, "upload"));
            }
        }

        return errors.Count > 0
            ? new(null, [.. errors.Take(MaxReportedErrors)])
            : new(new ShadowAiUpload(now, uploadedBy, count, resources, deployments), []);
    }

    /// <summary>A deployment as ARM and az print it: <c>properties.model {name, version}</c>, <c>sku {name, capacity}</c>.</summary>
    public static AiDeployment ReadDeployment(JsonElement entry, string id, string source)
    {
        var model = entry.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        var sku = Sku(entry);
        return new AiDeployment(id, AiResourceTypes.AccountOf(id) ?? id, Text(entry, "name") ?? id[(id.LastIndexOf('/') + 1)..],
            model.ValueKind == JsonValueKind.Object ? Text(model, "name") : null,
            model.ValueKind == JsonValueKind.Object ? Text(model, "version") : null,
            sku?.Name, sku?.Capacity, source);
    }

    /// <summary>The marketplace publisher: the plan's (<c>plan.publisher</c>), else <c>properties.publisherId</c> (SaaS resources carry it there).</summary>
    public static string? Publisher(JsonElement entry)
    {
        if (entry.TryGetProperty("plan", out var plan) && plan.ValueKind == JsonValueKind.Object && Text(plan, "publisher") is { } fromPlan)
        {
            return fromPlan;
        }

        return entry.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? Text(p, "publisherId") : null;
    }

    /// <summary>Tags as strings; a null tag value (az prints them) is an empty value, which counts as missing.</summary>
    public static IReadOnlyDictionary<string, string> Tags(JsonElement entry)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (entry.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
        {
            foreach (var tag in t.EnumerateObject())
            {
                tags[tag.Name] = tag.Value.ValueKind switch
                {
                    JsonValueKind.String => tag.Value.GetString()!,
                    JsonValueKind.Null => string.Empty,
                    _ => tag.Value.GetRawText(),
                };
            }
        }

        return tags;
    }

    private static (string? Name, int? Capacity)? Sku(JsonElement entry)
    {
        if (!entry.TryGetProperty("sku", out var sku) || sku.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        int? capacity = sku.TryGetProperty("capacity", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var value) ? value : null;
        return (Text(sku, "name"), capacity);
    }

    private static string? Text(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    private static ValidationResult<ShadowAiUpload?> Fail(ValidationError error) => new(null, [error]);
}
