namespace ControlPlane.Client.Api;

/// <summary>What a budget covers: <c>org</c>, <c>team</c>, <c>feature</c>, <c>user</c>, <c>environment</c>, <c>model</c> or <c>app</c>, and its value.</summary>
public sealed record BudgetScope(string Type, string Value);
