using System.Text.Json.Nodes;

namespace ControlPlane.Infra;

/// <summary>What `azd up` relies on, asserted on the ARM template main.bicep compiles to.</summary>
public sealed class MainTemplateTests
{
    private static readonly Lazy<ArmTemplate> s_main = new(() => ArmTemplate.Compile("main.bicep"));

    private static ArmTemplate Main => s_main.Value;

    [Theory]
    [InlineData("AZURE_LOCATION")]
    [InlineData("AZURE_TENANT_ID")]
    [InlineData("AZURE_SUBSCRIPTION_ID")]
    [InlineData("AZURE_RESOURCE_GROUP")]
    [InlineData("AZURE_FUNCTION_APP_NAME")]
    [InlineData("SERVICE_API_NAME")]
    [InlineData("SERVICE_API_URI")]
    [InlineData("AZURE_STORAGE_ACCOUNT_NAME")]
    [InlineData("AZURE_EVENTGRID_TOPIC_ENDPOINT")]
    [InlineData("AZURE_KEY_VAULT_NAME")]
    [InlineData("APPLICATIONINSIGHTS_CONNECTION_STRING")]
    public void Outputs_AzdEnvironmentValue_IsDeclaredAsString(string output)
    {
        var declared = Main.Root["outputs"]?[output];

        Assert.True(declared is not null, $"main.bicep does not output {output}.");
        Assert.Equal("string", (string?)declared["type"]);
    }

    [Fact]
    public void TargetScope_IsSubscription_SoAzdCreatesTheResourceGroup()
    {
        Assert.Contains("subscriptionDeploymentTemplate.json", (string?)Main.Root["$schema"], StringComparison.Ordinal);
        var resourceGroup = Assert.Single(
            ArmTemplate.TopLevelResources(Main.Root),
            resource => (string?)resource["type"] == "Microsoft.Resources/resourceGroups" && resource["condition"] is null);
        Assert.Equal("[variables('tags')]", (string?)resourceGroup["tags"]);
        Assert.NotNull(Main.Variable("tags")["azd-env-name"]);
    }

    [Fact]
    public void GpuPools_Default_IsEmptySoAzdUpCreatesNoGpuResources()
    {
        var gpuPools = Main.Root["parameters"]?["gpuPools"];

        Assert.NotNull(gpuPools);
        Assert.Equal("array", (string?)gpuPools["type"]);
        var defaultValue = Assert.IsType<JsonArray>(gpuPools["defaultValue"]);
        Assert.Empty(defaultValue);
    }

    [Fact]
    public void GpuResourceGroup_IsCreatedOnlyWhenPoolsAreRequested()
    {
        var gpuResourceGroup = Assert.Single(
            ArmTemplate.TopLevelResources(Main.Root),
            resource => (string?)resource["type"] == "Microsoft.Resources/resourceGroups" && resource["condition"] is not null);

        Assert.Equal("[variables('gpuResourceGroupName')]", (string?)gpuResourceGroup["name"]);
        Assert.StartsWith("[format('{0}{1}-gpu'", (string?)Main.Variable("gpuResourceGroupName"), StringComparison.Ordinal);
        Assert.Equal("[variables('hasGpuPools')]", (string?)gpuResourceGroup["condition"]);
        Assert.Equal("[not(empty(parameters('gpuPools')))]", (string?)Main.Variable("hasGpuPools"));
    }

    [Fact]
    public void AdminKey_IsSecureAndRequired()
    {
        var adminKey = Main.Root["parameters"]?["adminKey"];

        Assert.NotNull(adminKey);
        Assert.Equal("securestring", (string?)adminKey["type"]);
        Assert.Null(adminKey["defaultValue"]);
    }

    [Fact]
    public void FunctionApp_RunsDotnetIsolated10OnFlexConsumption()
    {
        var site = Assert.Single(Main.Resources("Microsoft.Web/sites"));
        var plan = Assert.Single(Main.Resources("Microsoft.Web/serverfarms"));

        Assert.Equal("functionapp,linux", (string?)site["kind"]);
        var config = site["properties"]?["functionAppConfig"];
        Assert.NotNull(config);
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]?["name"]);
        Assert.Equal("10.0", (string?)config["runtime"]?["version"]);
        Assert.Equal("UserAssignedIdentity", (string?)config["deployment"]?["storage"]?["authentication"]?["type"]);
        Assert.Equal("FC1", (string?)plan["sku"]?["name"]);
        Assert.True(plan["properties"]?["reserved"]?.GetValue<bool>());
        Assert.Contains("azd-service-name", (string?)site["tags"], StringComparison.Ordinal);
        Assert.NotNull(site["properties"]?["keyVaultReferenceIdentity"]);
    }

    [Fact]
    public void FunctionApp_DurableGroup_HasOneAlwaysReadyInstance()
    {
        // Microsoft's guidance for Durable Functions on Flex Consumption: one always-ready instance for the
        // `durable` group, so orchestrations and durable timers are not left waiting on a cold start.
        var site = Assert.Single(Main.Resources("Microsoft.Web/sites"));
        var alwaysReady = site["properties"]?["functionAppConfig"]?["scaleAndConcurrency"]?["alwaysReady"];

        var durable = Assert.Single(
            Assert.IsType<JsonArray>(alwaysReady).OfType<JsonObject>(),
            group => (string?)group["name"] == "durable");
        Assert.Equal("[parameters('durableAlwaysReadyInstanceCount')]", (string?)durable["instanceCount"]);
        var module = Main.ModuleDeclaring("Microsoft.Web/sites");
        Assert.Equal(1, module["parameters"]?["durableAlwaysReadyInstanceCount"]?["defaultValue"]?.GetValue<int>());
        Assert.Equal(1, Main.Root["parameters"]?["durableAlwaysReadyInstanceCount"]?["defaultValue"]?.GetValue<int>());
    }

    [Fact]
    public void Location_IsRestrictedToFlexConsumptionRegions()
    {
        var allowed = Main.Root["parameters"]?["location"]?["allowedValues"];

        var regions = Assert.IsType<JsonArray>(allowed).Select(region => (string?)region).ToList();
        Assert.Contains("eastus", regions);
        Assert.Contains("westeurope", regions);
        // Regions without Flex Consumption (as of the list in docs/deploy.md) must be refused up front.
        Assert.DoesNotContain("westus", regions);
        Assert.DoesNotContain("brazilsouth", regions);
        Assert.All(regions, region => Assert.Matches("^[a-z0-9]+$", region));
        Assert.Equal(regions.Count, regions.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Location_AllowedRegions_AreTheOnesTheDeployGuideLists()
    {
        var regions = Main.Root["parameters"]!["location"]!["allowedValues"]!.AsArray().Select(region => (string)region!);
        var guide = File.ReadAllText(Path.Combine(BicepCli.RepositoryRoot, "docs", "deploy.md"));

        Assert.All(regions, region => Assert.Contains($"`{region}`", guide, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("AzureWebJobsStorage__accountName")]
    [InlineData("AzureWebJobsStorage__clientId")]
    [InlineData("APPLICATIONINSIGHTS_CONNECTION_STRING")]
    [InlineData("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")]
    [InlineData("AZURE_CLIENT_ID")]
    [InlineData("ControlPlane__Storage__AccountName")]
    [InlineData("ControlPlane__Events__TopicEndpoint")]
    [InlineData("ControlPlane__Capacity__PoolsResourceGroup")]
    [InlineData("ControlPlane__AzureOpenAI__Endpoint")]
    [InlineData("ControlPlane__Batch__Schedule")]
    [InlineData("ControlPlane__Audits__ShadowAi__Schedule")]
    [InlineData("ControlPlane__Audits__Zombie__Schedule")]
    [InlineData("ControlPlane__Audits__Anomalies__Schedule")]
    [InlineData("ControlPlane__Reports__WeeklySchedule")]
    [InlineData("ControlPlane__Reports__MonthlySchedule")]
    public void AppSettings_Setting_IsConfigured(string name)
    {
        Assert.True(AppSettings().ContainsKey(name), $"The function app has no {name} app setting.");
    }

    [Fact]
    public void AppSettings_HostHomepage_IsOff_SoTheDashboardAnswersAtTheRoot()
    {
        Assert.Equal("true", (string?)AppSettings()["AzureWebJobsDisableHomepage"]);
    }

    [Fact]
    public void AppSettings_HostStorage_UsesManagedIdentityNotConnectionString()
    {
        var settings = AppSettings();

        Assert.Equal("managedidentity", (string?)settings["AzureWebJobsStorage__credential"]);
        Assert.False(settings.ContainsKey("AzureWebJobsStorage"), "A connection string would need a shared key.");
        // Flex Consumption rejects these; the stack lives in functionAppConfig.runtime.
        Assert.False(settings.ContainsKey("FUNCTIONS_WORKER_RUNTIME"));
        Assert.False(settings.ContainsKey("FUNCTIONS_EXTENSION_VERSION"));
    }

    [Fact]
    public void AppSettings_AdminKey_IsAKeyVaultReference()
    {
        var adminKey = (string?)AppSettings()["ControlPlane__AdminKey"];

        Assert.NotNull(adminKey);
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", adminKey, StringComparison.Ordinal);
    }

    [Fact]
    public void UserPseudonymKey_IsSecureAndOptional()
    {
        var key = Main.Root["parameters"]?["userPseudonymKey"];

        Assert.NotNull(key);
        Assert.Equal("securestring", (string?)key["type"]);
        Assert.Equal("", (string?)key["defaultValue"]);
    }

    [Fact]
    public void AppSettings_UserPseudonymKey_IsAKeyVaultReference_OnlyWhenAKeyIsGiven()
    {
        var functionApp = Main.ModuleDeclaring("Microsoft.Web/sites");
        var privacy = (string?)functionApp["variables"]?["privacySettings"];

        Assert.NotNull(privacy);
        Assert.Contains("ControlPlane__Privacy__UserPseudonymKey", privacy, StringComparison.Ordinal);
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", privacy, StringComparison.Ordinal);
        Assert.StartsWith("[if(empty(parameters('userPseudonymKeySecretUri'))", privacy, StringComparison.Ordinal);
        var secret = Assert.Single(Main.Resources("Microsoft.KeyVault/vaults/secrets"), s => ArmTemplate.Text(s).Contains("userPseudonymKey", StringComparison.Ordinal));
        Assert.Contains("empty(parameters('userPseudonymKey'))", (string?)secret["condition"], StringComparison.Ordinal);
    }

    [Fact]
    public void StorageAccounts_DisallowSharedKeyAndPublicBlobAccess()
    {
        var accounts = Main.Resources("Microsoft.Storage/storageAccounts");

        Assert.NotEmpty(accounts);
        Assert.All(accounts, account =>
        {
            var properties = account["properties"];
            Assert.False(properties?["allowSharedKeyAccess"]?.GetValue<bool>() ?? true, "allowSharedKeyAccess must be false.");
            Assert.False(properties?["allowBlobPublicAccess"]?.GetValue<bool>() ?? true, "allowBlobPublicAccess must be false.");
            Assert.Equal("TLS1_2", (string?)properties?["minimumTlsVersion"]);
        });
    }

    [Fact]
    public void RoleAssignments_AreAllNamedWithGuid()
    {
        var assignments = Main.Resources("Microsoft.Authorization/roleAssignments");

        // App identity: 3 storage + App Insights + Key Vault + Event Grid, user: 3 storage +
        // App Insights + Event Grid, plus Reader per audit subscription and VM Contributor.
        Assert.True(assignments.Count >= 8, $"Expected the role assignments to be declared; found {assignments.Count}.");
        Assert.All(assignments, assignment =>
            Assert.StartsWith("[guid(", (string?)assignment["name"], StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "Storage Blob Data Owner")]
    [InlineData("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "Storage Queue Data Contributor")]
    [InlineData("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "Storage Table Data Contributor")]
    [InlineData("3913510d-42f4-4e42-8a64-420c390055eb", "Monitoring Metrics Publisher")]
    [InlineData("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User")]
    [InlineData("d5a91429-5739-47e2-a06b-3470a27159e7", "EventGrid Data Sender")]
    [InlineData("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader")]
    [InlineData("9980e02c-c2be-4d73-94e8-173b1dc7cf3c", "Virtual Machine Contributor")]
    public void RoleAssignments_GrantedRole_IsDeclared(string roleDefinitionId, string role)
    {
        Assert.True(
            ArmTemplate.Text(Main.Root).Contains(roleDefinitionId, StringComparison.OrdinalIgnoreCase),
            $"No role assignment grants {role} ({roleDefinitionId}).");
    }

    [Fact]
    public void RoleAssignments_NeverGrantOwnerOrContributor()
    {
        var template = ArmTemplate.Text(Main.Root);

        Assert.DoesNotContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", template, StringComparison.OrdinalIgnoreCase); // Owner
        Assert.DoesNotContain("b24988ac-6180-42a0-ab88-20f7382dd24c", template, StringComparison.OrdinalIgnoreCase); // Contributor
    }

    [Fact]
    public void KeyVault_UsesRbacAuthorizationWithoutAccessPolicies()
    {
        var vault = Assert.Single(Main.Resources("Microsoft.KeyVault/vaults"));

        Assert.True(vault["properties"]?["enableRbacAuthorization"]?.GetValue<bool>());
        Assert.Empty(vault["properties"]?["accessPolicies"]?.AsArray() ?? []);
    }

    [Fact]
    public void EventGridTopic_AcceptsCloudEventsWithEntraIdOnly()
    {
        var topic = Assert.Single(Main.Resources("Microsoft.EventGrid/topics"));

        Assert.Equal("CloudEventSchemaV1_0", (string?)topic["properties"]?["inputSchema"]);
        Assert.True(topic["properties"]?["disableLocalAuth"]?.GetValue<bool>());
    }

    [Fact]
    public void ApplicationInsights_DisablesLocalAuth()
    {
        var component = Assert.Single(Main.Resources("Microsoft.Insights/components"));

        Assert.True(component["properties"]?["DisableLocalAuth"]?.GetValue<bool>());
    }

    private static JsonObject AppSettings()
    {
        var functionApp = Main.ModuleDeclaring("Microsoft.Web/sites");
        var settings = functionApp["variables"]?["appSettings"];
        return Assert.IsType<JsonObject>(settings);
    }
}
