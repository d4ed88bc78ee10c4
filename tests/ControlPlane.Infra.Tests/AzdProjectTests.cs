using System.Text.Json.Nodes;

namespace ControlPlane.Infra;

/// <summary>azure.yaml and infra/main.parameters.json: the glue between `azd up` and main.bicep.</summary>
public sealed class AzdProjectTests
{
    [Fact]
    public void AzureYaml_DeclaresTheApiServiceAsAFunctionApp()
    {
        var lines = File.ReadAllLines(Path.Combine(BicepCli.RepositoryRoot, "azure.yaml")).Select(line => line.Trim()).ToList();

        Assert.Contains("name: controlplane", lines);
        Assert.Contains("api:", lines);
        Assert.Contains("project: ./src/ControlPlane.Functions", lines);
        Assert.Contains("language: dotnet", lines);
        Assert.Contains("host: function", lines);
    }

    [Theory]
    [InlineData("environmentName", "${AZURE_ENV_NAME}")]
    [InlineData("location", "${AZURE_LOCATION}")]
    [InlineData("principalId", "${AZURE_PRINCIPAL_ID}")]
    [InlineData("adminKey", "${CONTROLPLANE_ADMIN_KEY}")]
    public void MainParameters_Parameter_ComesFromTheAzdEnvironment(string parameter, string expected)
    {
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, "main.parameters.json")))!["parameters"];

        Assert.Equal(expected, (string?)parameters?[parameter]?["value"]);
    }

    [Fact]
    public void MainParameters_EveryParameter_IsDeclaredInMainBicep()
    {
        var supplied = JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, "main.parameters.json")))!["parameters"]!.AsObject();
        var declared = ArmTemplate.Compile("main.bicep").Root["parameters"]!.AsObject();

        Assert.All(supplied, pair => Assert.True(declared.ContainsKey(pair.Key), $"main.bicep declares no parameter {pair.Key}."));
    }
}
