namespace ControlPlane.Audits;

/// <summary>What the shadow-AI rules look at: the inventory, the registry, the teams' cost centers and the window's usage.</summary>
/// <param name="CostCenters">Team → cost center, from the teams registry: a missing <c>cost_center</c> tag can be proposed from it.</param>
public sealed record ShadowAiRuleInput(
    ShadowAiInventory Inventory,
    IReadOnlyList<ApprovedAiResource> Approved,
    IReadOnlyDictionary<string, string> CostCenters,
    DeploymentUsage Usage,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd);
