using ControlPlane.Paging;
using ControlPlane.Registry;
using ControlPlane.Usage;

namespace ControlPlane.Audits;

/// <summary>
/// The shadow-AI audit's steps, each an activity of its orchestration: read the inventory (Resource Manager when
/// configured, and the latest upload), then evaluate it against the approved registry, the teams' cost centers and
/// the ledger's usage of the window. Reads only: findings are recorded by the run's last activity.
/// </summary>
/// <param name="arm">Null when Resource Manager is not wired (the options say whether it is to be read).</param>
public sealed class ShadowAiAudit(
    IAiInventoryReader? arm, IShadowAiUploadStore uploads, IAiResourceRegistry registry, IRegistryStore teams, IUsageStore usage, ShadowAiOptions options)
{
    public const string KindName = "shadow-ai-audit";

    /// <summary>The run id of a scheduled run: one per occurrence, so a timer firing twice starts one run.</summary>
    public static string RunIdFor(DateTimeOffset occurrence) => $"{KindName}-{occurrence.UtcDateTime:yyyyMMdd-HHmm}";

    public async Task<ShadowAiInventory> ReadInventoryAsync(CancellationToken cancellationToken = default)
    {
        ShadowAiInventory fromArm;
        if (!options.ReadsResourceManager)
        {
            fromArm = ShadowAiInventory.Empty with
            {
                Notes = ["Resource Manager not read: ControlPlane:Audits:ShadowAi:Subscriptions is not set. Only the uploaded inventory was audited."],
            };
        }
        else if (arm is null)
        {
            fromArm = ShadowAiInventory.Empty with { Notes = ["Resource Manager not read: no inventory reader is registered."] };
        }
        else
        {
            fromArm = await arm.ReadAsync(options.SubscriptionIds, options.AiSaasPublisherList, cancellationToken).ConfigureAwait(false);
        }

        var upload = await uploads.GetAsync(cancellationToken).ConfigureAwait(false);
        return fromArm.Merge(upload?.ToInventory() ?? ShadowAiInventory.Empty with { Notes = ["No inventory has been uploaded (POST /api/audits/shadow-ai/inventory)."] });
    }

    /// <param name="asOf">The end of the window: the run's start, from the orchestration (deterministic on replay).</param>
    public async Task<ShadowAiEvaluation> EvaluateAsync(ShadowAiInventory inventory, DateTimeOffset asOf, CancellationToken cancellationToken = default)
    {
        var windowEnd = asOf;
        var windowStart = asOf.AddDays(-options.WindowDays);
        var approved = await registry.ListAllAsync(cancellationToken).ConfigureAwait(false);
        var costCenters = await teams.CostCentersAsync(cancellationToken).ConfigureAwait(false);
        var traffic = inventory.Deployments.Count == 0
            ? DeploymentUsage.Empty
            : await DeploymentUsage.SummarizeAsync(usage.ReadLedgerAsync(windowStart, windowEnd, cancellationToken), cancellationToken).ConfigureAwait(false);
        var candidates = ShadowAiRules.Evaluate(new ShadowAiRuleInput(inventory, approved, costCenters, traffic, windowStart, windowEnd), options);
        return new ShadowAiEvaluation(windowStart, windowEnd, candidates);
    }
}
