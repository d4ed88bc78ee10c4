using ControlPlane.AuditLog;
using ControlPlane.Audits;
using ControlPlane.Functions.Audits;

namespace ControlPlane.Functions.AuditLog;

/// <summary>The shadow-AI audit's audited admin actions, declared beside the capability.</summary>
public static partial class AdminActions
{
    /// <summary>The entries a PUT names, by resource id; the snapshot is those entries as stored.</summary>
    public static AdminAction AiResourceUpsert { get; } = new(new AdminActionKind("ai_resource.upsert"), AiResourceIdsAsync, AiResourcesAsync);

    /// <summary>An upload replaces the one inventory; the snapshot is what the stored upload held.</summary>
    public static AdminAction ShadowAiInventoryUpload { get; } = new(new AdminActionKind("shadow_ai.inventory_upload"),
        (_, _) => ValueTask.FromResult<AuditTarget?>(new AuditTarget(BlobInventoryName)),
        async (http, _, ct) => await Service<IShadowAiUploadStore>(http).GetAsync(ct) is { } upload ? ShadowAiUploadSummary.Of(upload) : null);

    private const string BlobInventoryName = "shadow-ai/inventory";

    private static async ValueTask<AuditTarget?> AiResourceIdsAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (await PeekAsync<AiResourcesRequest>(http.Request, cancellationToken) is not { Resources: { Count: > 0 } entries }
            || entries.Any(e => e?.ResourceId is null))
        {
            return null;
        }

        var ids = entries.Select(e => e!.ResourceId!).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return new AuditTarget(string.Join(", ", ids), ids);
    }

    private static async Task<object?> AiResourcesAsync(HttpContext http, AuditTarget target, CancellationToken cancellationToken)
    {
        var registry = Service<IAiResourceRegistry>(http);
        var stored = new List<ApprovedAiResource>();
        foreach (var id in (IReadOnlyList<string>)target.Selector!)
        {
            if (await registry.GetAsync(id, cancellationToken) is { } entry)
            {
                stored.Add(entry);
            }
        }

        return stored.Count > 0 ? stored : null;
    }
}
