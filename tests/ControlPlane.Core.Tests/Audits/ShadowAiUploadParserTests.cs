using System.Text.Json;

namespace ControlPlane.Audits;

/// <summary>Reading what <c>az resource list -o json</c> prints.</summary>
public sealed class ShadowAiUploadParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Publishers = ["openai", "anthropic"];

    private static Validation.ValidationResult<ShadowAiUpload?> Parse(string json) =>
        ShadowAiUploadParser.Parse(JsonDocument.Parse(json).RootElement, Publishers, "admin", Now);

    [Fact]
    public void Parse_AzResourceList_KeepsAiResourcesAndDeploymentsAndCountsEveryEntry()
    {
        var upload = Parse("""
            [
              {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai", "name": "oai",
               "type": "Microsoft.CognitiveServices/accounts", "kind": "OpenAI", "location": "eastus", "resourceGroup": "rg",
               "sku": {"name": "S0"}, "tags": {"team": "ads", "project": null}, "properties": null, "identity": null},
              {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai/deployments/ptu", "name": "ptu",
               "type": "Microsoft.CognitiveServices/accounts/deployments", "sku": {"name": "ProvisionedManaged", "capacity": 100},
               "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-08-06"}}},
              {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/web", "name": "web", "type": "Microsoft.Web/sites", "tags": null},
              {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.SaaS/resources/claude", "name": "claude", "type": "Microsoft.SaaS/resources",
               "plan": {"name": "team", "publisher": "anthropic", "product": "claude"}},
              {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.SaaS/resources/crm", "name": "crm", "type": "Microsoft.SaaS/resources",
               "properties": {"publisherId": "contoso"}},
              {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/hub", "name": "hub",
               "type": "Microsoft.MachineLearningServices/workspaces", "kind": "Hub"}
            ]
            """).Value!;

        Assert.Equal(6, upload.EntriesInFile);
        Assert.Equal(["oai", "claude", "hub"], upload.Resources.Select(r => r.Name));
        Assert.Equal("", upload.Resources[0].Tags["project"]);
        Assert.Equal("ads", upload.Resources[0].Tags["team"]);
        var deployment = Assert.Single(upload.Deployments);
        Assert.Equal(("ptu", "gpt-4o", "ProvisionedManaged", 100), (deployment.Name, deployment.Model, deployment.SkuName, deployment.Capacity));
        Assert.Equal("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai", deployment.AccountId);
        Assert.All(upload.Resources, r => Assert.Equal("upload", r.Source));
    }

    [Theory]
    [InlineData("""{"value": []}""", ShadowAiErrors.InventoryShapeInvalid)]
    [InlineData("""[1]""", ShadowAiErrors.InventoryShapeInvalid)]
    [InlineData("""[{"name": "x", "type": "Microsoft.CognitiveServices/accounts"}]""", ShadowAiErrors.InventoryResourceInvalid)]
    [InlineData("""[{"id": "not-an-id", "type": "Microsoft.CognitiveServices/accounts"}]""", ShadowAiErrors.InventoryResourceInvalid)]
    [InlineData("""[{"id": "/subscriptions/s/resourceGroups/rg/providers/A/b/c"}]""", ShadowAiErrors.InventoryResourceInvalid)]
    public void Parse_WrongShape_IsRefusedWithItsCode(string json, string code)
    {
        var result = Parse(json);

        Assert.False(result.IsValid);
        Assert.Equal(code, result.Errors[0].Code);
    }

    [Fact]
    public void Parse_EmptyArray_IsAnEmptyInventory()
    {
        var upload = Parse("[]").Value!;

        Assert.Equal((0, 0), (upload.Resources.Count, upload.Deployments.Count));
    }
}
