using System.Globalization;
using ControlPlane.Budgets;
using ControlPlane.Paging;
using ControlPlane.Usage;

namespace ControlPlane.Capacity;

/// <summary>
/// Every five minutes, for every pool: decide the capacity (<see cref="RightsizingPolicy"/>), record the decision
/// with its reasons, set the scale set in enforce mode, and record the pool's running cost as usage for its team
/// so GPU spend shows in budgets and reports beside tokens. In recommend mode nothing touches the scale set.
/// </summary>
public sealed class CapacityService(
    IGpuPoolStore pools,
    IScaleSetController scaleSets,
    BudgetService budgets,
    UsageIngestService usage,
    TimeProvider time)
{
    /// <summary>Running cost is recorded for at most this long at once (an instance that was down for days does not bill them).</summary>
    private static readonly TimeSpan MaxCostInterval = TimeSpan.FromHours(1);

    public async Task<IReadOnlyList<CapacityDecision>> EvaluateAllAsync(CancellationToken cancellationToken = default)
    {
        var decisions = new List<CapacityDecision>();
        foreach (var pool in await pools.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                decisions.Add(await EvaluateAsync(pool, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One pool's failure (scale set deleted, resize failed for quota) must not stop the others; it is
                // recorded as a decision with its error, visible at GET /api/gpu/pools/{pool}/decisions.
                var failed = new CapacityDecision
                {
                    Pool = pool.Name, Timestamp = time.GetUtcNow(), CurrentCapacity = -1, DesiredCapacity = -1, Mode = pool.Mode,
                    Reasons = ["evaluation failed"], Error = $"{ex.GetType().Name}: {ex.Message}",
                };
                await pools.AddDecisionAsync(failed, cancellationToken).ConfigureAwait(false);
                decisions.Add(failed);
            }
        }

        return decisions;
    }

    public async Task<CapacityDecision> EvaluateAsync(GpuPool pool, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var runtime = await pools.GetRuntimeAsync(pool.Name, cancellationToken).ConfigureAwait(false);
        var reasons = new List<string>();
        int current;
        if (pool.Mode == PoolMode.Enforce)
        {
            current = (await scaleSets.GetAsync(pool.ScaleSetId, cancellationToken).ConfigureAwait(false)).Capacity;
        }
        else
        {
            current = runtime.Capacity ?? pool.MinCapacity;
            reasons.Add($"recommend mode: assuming the last recommendation ({current}) was followed");
        }

        await RecordRunningCostAsync(pool, runtime, current, now, cancellationToken).ConfigureAwait(false);

        var blockedBy = await budgets.BlockedByAsync(pool.Attribution, cancellationToken).ConfigureAwait(false);
        var samples = await pools.GetSamplesAsync(pool.Name, now - RightsizingPolicy.Window, cancellationToken).ConfigureAwait(false);
        // The newest sample of any age tells a silent agent from a pool that never had one.
        var newest = samples.Count > 0 ? null : await pools.GetSamplesPageAsync(pool.Name, new PageRequest(1), cancellationToken).ConfigureAwait(false);
        var situation = new PoolSituation(current, samples, runtime.LastScaleOutAt, runtime.LastScaleInAt,
            blockedBy.Count > 0 ? $"{blockedBy[0].Scope.Type.ToString().ToLowerInvariant()}:{blockedBy[0].Scope.Value}" : null,
            samples.Count > 0 ? samples.Max(s => s.Timestamp) : newest?.Items is [var last, ..] ? last.Timestamp : null);
        var (desired, policyReasons) = RightsizingPolicy.Decide(pool, situation, now);
        reasons.AddRange(policyReasons);

        var applied = false;
        string? error = null;
        if (pool.Mode == PoolMode.Enforce && desired != current)
        {
            try
            {
                await scaleSets.SetCapacityAsync(pool.ScaleSetId, desired, cancellationToken).ConfigureAwait(false);
                applied = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Busy (another operation holds the scale set) or failed (quota, allocation): the decision is
                // recorded as not applied with the reason; the next run decides again from what it then finds.
                error = ex is ScaleSetBusyException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            }
        }

        var decision = new CapacityDecision
        {
            Pool = pool.Name, Timestamp = now, CurrentCapacity = current, DesiredCapacity = desired, Mode = pool.Mode,
            Reasons = reasons, Applied = applied, Error = error,
        };
        await pools.AddDecisionAsync(decision, cancellationToken).ConfigureAwait(false);

        var changed = pool.Mode == PoolMode.Recommend || applied ? desired : current;
        await pools.SetRuntimeAsync(pool.Name, new PoolRuntime(
            changed,
            changed > current ? now : runtime.LastScaleOutAt,
            changed < current ? now : runtime.LastScaleInAt,
            now), cancellationToken).ConfigureAwait(false);
        return decision;
    }

    /// <summary>
    /// Instances × hourly price since the last record, as one usage event for the pool's team (idempotent by an id
    /// made of the pool and the interval's start, so a retried run never bills twice; in the server's namespace,
    /// <c>cp:gpu:{pool}:{ticks}</c>, so a client that reads the ticks from the pool cannot record it first).
    /// </summary>
    private async Task RecordRunningCostAsync(GpuPool pool, PoolRuntime runtime, int capacity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (runtime.CostRecordedUntil is not { } from || from >= now || pool.HourlyPriceUsd == 0 || capacity == 0)
        {
            return;
        }

        var start = now - from > MaxCostInterval ? now - MaxCostInterval : from;
        var hours = (decimal)(now - start).TotalSeconds / 3600m;
        var cost = decimal.Round(capacity * pool.HourlyPriceUsd * hours, 6);
        var attribution = pool.Attribution;
        var e = new UsageEvent
        {
            Id = UsageEventIds.Server("gpu", pool.Name, start.UtcTicks.ToString(CultureInfo.InvariantCulture)),
            Timestamp = now,
            Team = attribution.Team,
            Feature = attribution.Feature,
            Environment = attribution.Environment,
            Provider = "azure-vmss",
            Model = attribution.Model,
            Deployment = pool.ScaleSetId,
            Tokens = default,
            Units = capacity * hours,
            Tags = new Dictionary<string, string> { ["instances"] = capacity.ToString(CultureInfo.InvariantCulture) },
        };
        var priced = new PricedUsageEvent(e, new UsageCost(cost, 0, 0, 0, 0, 0, false, false, null, null));
        await usage.RecordPricedAsync([priced], cancellationToken).ConfigureAwait(false);
    }
}
