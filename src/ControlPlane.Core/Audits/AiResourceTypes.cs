namespace ControlPlane.Audits;

/// <summary>The resource types and SKUs the shadow-AI audit knows, and how it compares ARM ids.</summary>
public static class AiResourceTypes
{
    public const string CognitiveServicesAccount = "Microsoft.CognitiveServices/accounts";
    public const string Deployment = "Microsoft.CognitiveServices/accounts/deployments";
    public const string MachineLearningWorkspace = "Microsoft.MachineLearningServices/workspaces";
    public const string SearchService = "Microsoft.Search/searchServices";
    public const string SaasResource = "Microsoft.SaaS/resources";

    /// <summary>The top-level types the audit lists (deployments are read per account).</summary>
    public static IReadOnlyList<string> Listed { get; } = [CognitiveServicesAccount, MachineLearningWorkspace, SearchService, SaasResource];

    /// <summary>
    /// Deployment SKUs billed per hour for reserved capacity whether called or not (provisioned throughput units):
    /// regional, data-zone and global provisioned.
    /// </summary>
    public static IReadOnlyList<string> ProvisionedSkus { get; } = ["ProvisionedManaged", "DataZoneProvisionedManaged", "GlobalProvisionedManaged"];

    public static bool IsProvisioned(string? skuName) =>
        skuName is not null && ProvisionedSkus.Contains(skuName, StringComparer.OrdinalIgnoreCase);

    /// <summary>True for a listed type; a SaaS resource only when its publisher is one of <paramref name="aiPublishers"/>.</summary>
    public static bool IsAiResource(string type, string? publisher, IReadOnlyCollection<string> aiPublishers) =>
        string.Equals(type, SaasResource, StringComparison.OrdinalIgnoreCase)
            ? publisher is not null && aiPublishers.Contains(publisher, StringComparer.OrdinalIgnoreCase)
            : Listed.Contains(type, StringComparer.OrdinalIgnoreCase);

    /// <summary>An ARM id in the one spelling the audit keys by: ARM ids are case-insensitive and tools disagree on case (resourceGroups vs resourcegroups).</summary>
    public static string Normalize(string resourceId) => resourceId.Trim().TrimEnd('/').ToLowerInvariant();

    /// <summary>The account id of a deployment id (<c>.../accounts/{a}/deployments/{d}</c>), or null.</summary>
    public static string? AccountOf(string deploymentId)
    {
        var at = deploymentId.LastIndexOf("/deployments/", StringComparison.OrdinalIgnoreCase);
        return at > 0 ? deploymentId[..at] : null;
    }
}
