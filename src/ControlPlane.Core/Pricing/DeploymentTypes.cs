namespace ControlPlane.Pricing;

/// <summary>Deployment types a price entry or a usage event may name. Compared case-insensitively.</summary>
public static class DeploymentTypes
{
    public const string Global = "global";
    public const string DataZone = "datazone";
    public const string Regional = "regional";
    public const string Batch = "batch";
    public const string Provisioned = "provisioned";

    /// <summary>Every known value, in documentation order.</summary>
    public static IReadOnlyList<string> All { get; } = [Global, DataZone, Regional, Batch, Provisioned];

    public static bool IsKnown(string? deploymentType)
    {
        foreach (var known in All)
        {
            if (string.Equals(known, deploymentType, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    internal static bool IsBatch(string? deploymentType) =>
        string.Equals(deploymentType, Batch, StringComparison.OrdinalIgnoreCase);
}
