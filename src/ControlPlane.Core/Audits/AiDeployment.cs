namespace ControlPlane.Audits;

/// <summary>
/// A model deployment of an AI account (<c>Microsoft.CognitiveServices/accounts/deployments</c>): its model, its SKU
/// (<c>Standard</c>, <c>GlobalStandard</c>, <c>ProvisionedManaged</c>, ...) and capacity (thousands of tokens per minute
/// for pay-as-you-go SKUs, PTUs for provisioned ones).
/// </summary>
public sealed record AiDeployment(
    string Id,
    string AccountId,
    string Name,
    string? Model,
    string? ModelVersion,
    string? SkuName,
    int? Capacity,
    string Source);
