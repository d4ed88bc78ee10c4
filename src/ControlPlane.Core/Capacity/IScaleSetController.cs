namespace ControlPlane.Capacity;

/// <summary>
/// Reads and changes the instance count of a virtual machine scale set. Implementations talk to Azure Resource Manager;
/// the interface keeps the domain free of the Azure SDK.
/// </summary>
public interface IScaleSetController
{
    /// <summary>The scale set's current SKU, capacity and provisioning state.</summary>
    /// <exception cref="ScaleSetNotFoundException">No scale set has this id (or its resource group is gone).</exception>
    Task<ScaleSetState> GetAsync(string scaleSetResourceId, CancellationToken cancellationToken = default);

    /// <summary>Sets <c>sku.capacity</c> and waits for the long-running operation to finish.</summary>
    /// <exception cref="ScaleSetBusyException">Another operation on the scale set was still in progress after retries.</exception>
    /// <exception cref="ScaleSetNotFoundException">No scale set has this id.</exception>
    Task<ScaleSetState> SetCapacityAsync(string scaleSetResourceId, int capacity, CancellationToken cancellationToken = default);
}

/// <summary>A scale set as Resource Manager reports it.</summary>
/// <param name="ResourceId">The full ARM id, <c>/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}</c>.</param>
/// <param name="SkuName">VM size, e.g. <c>Standard_NC24ads_A100_v4</c>.</param>
/// <param name="Capacity">Instance count (<c>sku.capacity</c>).</param>
/// <param name="ProvisioningState">ARM's <c>properties.provisioningState</c>: <c>Succeeded</c>, <c>Updating</c>, <c>Failed</c>, ...</param>
public sealed record ScaleSetState(string ResourceId, string SkuName, int Capacity, string ProvisioningState);

/// <summary>
/// Thrown when the scale set cannot take the change now (409: another operation in progress, after retries).
/// The caller records the decision as not applied and tries again next run.
/// </summary>
public sealed class ScaleSetBusyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Thrown when Resource Manager answers 404 for the scale set: a wrong id in configuration, or a deleted pool.</summary>
public sealed class ScaleSetNotFoundException(string message, Exception? inner = null) : Exception(message, inner);
