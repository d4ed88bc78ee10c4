using System.Text;
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

    [Fact]
    public void ScaleSetIdentity_HasExactlyOneRole_KeyVaultSecretsUserOnTheAgentKeySecret()
    {
        // Every role assignment the pool module deploys, nested modules included: the instances' identity may read
        // the agent's key and nothing else (not the vault, not the admin key beside it).
        var assignment = Assert.Single(s_pool.Value.Resources("Microsoft.Authorization/roleAssignments"));
        var keyModule = Assert.Single(s_pool.Value.Resources("Microsoft.Resources/deployments"));
        var keyTemplate = keyModule["properties"]!["template"]!;
        var passed = keyModule["properties"]!["parameters"]!;

        Assert.Equal("SystemAssigned", (string?)ScaleSet["identity"]?["type"]);
        Assert.Equal("[reference('scaleSet', '2024-07-01', 'full').identity.principalId]", (string?)passed["principalId"]?["value"]);
        Assert.Equal("[parameters('principalId')]", (string?)assignment["properties"]?["principalId"]);
        // Key Vault Secrets User, by its built-in id.
        Assert.Equal("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('keyVaultSecretsUser'))]", (string?)assignment["properties"]?["roleDefinitionId"]);
        Assert.Equal("4633458b-17de-408a-b874-0445c86b69e6", (string?)keyTemplate["variables"]?["keyVaultSecretsUser"]);
        // Scoped to the one secret, the one the agents are told to read.
        Assert.Equal("[resourceId('Microsoft.KeyVault/vaults/secrets', parameters('keyVaultName'), parameters('secretName'))]", (string?)assignment["scope"]);
        Assert.Equal("[variables('agentKeySecretName')]", (string?)passed["secretName"]?["value"]);
        Assert.Equal("[parameters('keyVaultResourceGroupName')]", (string?)keyModule["resourceGroup"]);
    }

    [Fact]
    public void CustomData_InstallsAndStartsTheAgentWithItsSettings()
    {
        var customData = (string?)ScaleSet["properties"]?["virtualMachineProfile"]?["osProfile"]?["customData"];
        var variables = s_pool.Value.Root["variables"]!.AsObject();
        var agent = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(BicepCli.RepositoryRoot, "agents", "gpu", "controlplane-gpu-agent")));
        var cloudInit = variables.Select(v => (string?)v.Value).Single(v => v?.StartsWith("#cloud-config", StringComparison.Ordinal) == true)!;

        Assert.Equal("[base64(variables('cloudInit'))]", customData);
        Assert.Equal("[format(variables('$fxv#0'), variables('$fxv#1'), parameters('controlPlaneUrl'), parameters('poolName'), parameters('keyVaultUri'), variables('agentKeySecretName'), parameters('sampleWindowSeconds'), parameters('queueMetricsUrl'), parameters('queueMetric'))]",
            (string?)variables["cloudInit"]);
        // The agent as it is in the repository, so a changed agent changes the model and reaches new instances.
        Assert.Equal(agent, (string?)variables["$fxv#1"]);
        foreach (var setting in new[] { "content: {0}", "CONTROLPLANE_URL={1}", "CONTROLPLANE_POOL={2}", "CONTROLPLANE_KEY_VAULT_URL={3}", "CONTROLPLANE_KEY_SECRET_NAME={4}", "SAMPLE_WINDOW_SECONDS={5}", "QUEUE_METRICS_URL={6}", "QUEUE_METRIC={7}" })
        {
            Assert.Contains(setting, cloudInit, StringComparison.Ordinal);
        }

        Assert.Contains("[systemctl, enable, --now, controlplane-gpu-agent.service]", cloudInit, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(cloudInit) + agent.Length < 48 * 1024, "customData must stay under 64 KiB once base64-encoded.");
    }
}
