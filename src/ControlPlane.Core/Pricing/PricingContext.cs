namespace ControlPlane.Pricing;

/// <summary>What a call is priced by: which model, where it ran, whether it was a batch call, and when.</summary>
public readonly record struct PricingContext
{
    /// <summary>Provider that billed the call. Default (<c>null</c>): entries of any provider match.</summary>
    public PricingContext()
    {
    }

    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public PricingContext(string? provider, string model, string? deploymentType, bool batch, DateTimeOffset timestamp)
    {
        Provider = provider;
        Model = model;
        DeploymentType = deploymentType;
        Batch = batch;
        Timestamp = timestamp;
    }

    public string? Provider { get; init; }

    /// <summary>Model name; compared case-insensitively. An unknown model is priced as unpriced, never guessed.</summary>
    public required string Model { get; init; }

    /// <summary>Deployment type of the call. Default (<c>null</c>): only entries without a deployment type match.
    /// <c>batch</c> implies batch pricing.</summary>
    public string? DeploymentType { get; init; }

    /// <summary>Whether the call went through a batch API. Default <c>false</c>.</summary>
    public bool Batch { get; init; }

    /// <summary>When the call happened; selects the price in force at that instant.</summary>
    public DateTimeOffset Timestamp { get; init; }
}
