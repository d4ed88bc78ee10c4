namespace ControlPlane.Functions.AuditLog;

/// <summary>What an admin request changes.</summary>
/// <param name="Id">How the entry names it: a budget, key, pool or orchestration id, a scope (<c>team:search</c>), price entry keys.</param>
/// <param name="Selector">What the snapshot reader needs beyond the id (a scope, price entry keys).</param>
public sealed record AuditTarget(string Id, object? Selector = null);
