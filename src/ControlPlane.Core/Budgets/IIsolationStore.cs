namespace ControlPlane.Budgets;

/// <summary>An admin's manual stop on a scope, independent of any budget.</summary>
public sealed record Isolation(BudgetScope Scope, DateTimeOffset Since);

/// <summary>Manual kill switches ("isolate this team now").</summary>
public interface IIsolationStore
{
    Task IsolateAsync(Isolation isolation, CancellationToken cancellationToken = default);

    /// <summary>Lifts an isolation; false when the scope was not isolated.</summary>
    Task<bool> LiftAsync(BudgetScope scope, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Isolation>> ListAsync(CancellationToken cancellationToken = default);
}
