using ControlPlane.Budgets;

namespace ControlPlane.Functions.Budgets;

/// <summary>
/// An admin's manual stop on a scope: what <c>POST /api/killswitches/isolate</c> does and what applying a finding's
/// <c>isolate-scope</c> action does, one code path for both.
/// </summary>
public sealed class ScopeIsolation(IIsolationStore isolations, BudgetService budgets, TimeProvider time)
{
    public async Task<KillSwitchStatus> IsolateAsync(BudgetScope scope, CancellationToken cancellationToken)
    {
        var isolation = new Isolation(scope, time.GetUtcNow());
        await isolations.IsolateAsync(isolation, cancellationToken).ConfigureAwait(false);
        budgets.Invalidate();
        return new KillSwitchStatus(isolation.Scope, KillSwitchState.Isolated, null, isolation.Since);
    }
}
