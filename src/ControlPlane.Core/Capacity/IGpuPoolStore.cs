using ControlPlane.Paging;

namespace ControlPlane.Capacity;

/// <summary>What the policy remembers about a pool between evaluations.</summary>
/// <param name="Capacity">The capacity the pool is believed to run at: read from the scale set in enforce mode, the last recommendation otherwise.</param>
/// <param name="CostRecordedUntil">Running cost has been recorded as usage up to this time.</param>
public sealed record PoolRuntime(int? Capacity, DateTimeOffset? LastScaleOutAt, DateTimeOffset? LastScaleInAt, DateTimeOffset? CostRecordedUntil);

/// <summary>Pools, their samples, decisions and runtime state.</summary>
public interface IGpuPoolStore
{
    Task<GpuPool?> GetAsync(string name, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<GpuPool>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>One page of pools in name order; with <paramref name="teams"/>, only pools those teams own.</summary>
    Task<ListPage<GpuPool>> ListPageAsync(IReadOnlyCollection<string>? teams, PageRequest page, CancellationToken cancellationToken = default);
    Task UpsertAsync(GpuPool pool, CancellationToken cancellationToken = default);
    /// <summary>Stores samples; one sent again with the same <see cref="UtilizationSample.Id"/> and timestamp replaces itself, so a retried post counts once.</summary>
    Task AddSamplesAsync(string pool, IReadOnlyList<UtilizationSample> samples, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<UtilizationSample>> GetSamplesAsync(string pool, DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>One page of the pool's samples, newest first (the last sample ever is the first of a one-item page).</summary>
    Task<ListPage<UtilizationSample>> GetSamplesPageAsync(string pool, PageRequest page, CancellationToken cancellationToken = default);
    Task AddDecisionAsync(CapacityDecision decision, CancellationToken cancellationToken = default);

    /// <summary>One page of the pool's decisions, newest first.</summary>
    Task<ListPage<CapacityDecision>> GetDecisionsAsync(string pool, PageRequest page, CancellationToken cancellationToken = default);

    Task<PoolRuntime> GetRuntimeAsync(string pool, CancellationToken cancellationToken = default);
    Task SetRuntimeAsync(string pool, PoolRuntime runtime, CancellationToken cancellationToken = default);
}
