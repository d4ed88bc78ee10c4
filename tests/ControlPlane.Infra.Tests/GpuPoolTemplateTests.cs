using System.Text.Json.Nodes;

namespace ControlPlane.Infra;

/// <summary>modules/gpu-pool.bicep: the scale set ControlPlane's Capacity policy resizes.</summary>
public sealed class GpuPoolTemplateTests
{
    private static readonly Lazy<ArmTemplate> s_pool = new(() => ArmTemplate.Compile("modules/gpu-pool.bicep"));

    private static JsonObject ScaleSet => Assert.Single(s_pool.Value.Resources("Microsoft.Compute/virtualMachineScaleSets"));

    [Fact]
    public void VmSku_Default_IsT4()
    {
        Assert.Equal("Standard_NC4as_T4_v3", (string?)s_pool.Value.Root["parameters"]?["vmSku"]?["defaultValue"]);
    }

    [Fact]
    public void ScaleSet_IsUniformAndStartsAtMinimumCapacity()
    {
        Assert.Equal("Uniform", (string?)ScaleSet["properties"]?["orchestrationMode"]);
        Assert.Equal("[parameters('minCapacity')]", (string?)ScaleSet["sku"]?["capacity"]);
        Assert.False(ScaleSet["properties"]?["overprovision"]?.GetValue<bool>() ?? true, "Overprovisioning bills extra GPU VMs.");
    }

    [Fact]
    public void ScaleSet_AllowsSshKeysOnly()
    {
        var json = ArmTemplate.Text(ScaleSet);

        Assert.Contains("\"disablePasswordAuthentication\":true", json, StringComparison.Ordinal);
        Assert.DoesNotContain("adminPassword", json, StringComparison.Ordinal);
    }

    [Fact]
    public void ScaleSet_InstallsNvidiaDriverOnUbuntu2204()
    {
        var json = ArmTemplate.Text(ScaleSet);

        Assert.Contains("\"publisher\":\"Microsoft.HpcCompute\"", json, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"NvidiaGpuDriverLinux\"", json, StringComparison.Ordinal);
        Assert.Contains("22_04-lts", json, StringComparison.Ordinal);
    }

    [Fact]
    public void SpotPool_EvictsWithDeleteAndPaysAtMostOnDemand()
    {
        var profile = ScaleSet["properties"]?["virtualMachineProfile"];

        Assert.NotNull(profile);
        Assert.Equal("[if(parameters('spot'), 'Spot', 'Regular')]", (string?)profile["priority"]);
        Assert.Equal("[if(parameters('spot'), 'Delete', null())]", (string?)profile["evictionPolicy"]);
        Assert.Equal("[if(parameters('spot'), createObject('maxPrice', -1), null())]", (string?)profile["billingProfile"]);
    }

    [Theory]
    [InlineData("controlplane-pool")]
    [InlineData("team")]
    [InlineData("cost_center")]
    public void Tags_IdentifyThePoolForCapacityAndChargeback(string tag)
    {
        Assert.Contains($"'{tag}'", ArmTemplate.Text(s_pool.Value.Root), StringComparison.Ordinal);
    }
}
