using System.Text.Json.Nodes;

namespace ControlPlane.Infra;

/// <summary>Every .bicep file under infra/ compiles and lints clean with infra/bicepconfig.json.</summary>
public sealed class BicepFileTests
{
    public static TheoryData<string> Files() => new(BicepCli.BicepFiles());

    [Fact]
    public void BicepFiles_IncludeMainAndEveryModule_FoundUnderInfra()
    {
        var files = BicepCli.BicepFiles().ToList();

        Assert.Contains("main.bicep", files);
        Assert.Contains("modules/function-app.bicep", files);
        Assert.Contains("modules/gpu-pool.bicep", files);
        Assert.True(File.Exists(Path.Combine(BicepCli.InfraDirectory, "bicepconfig.json")), "infra/bicepconfig.json is missing.");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Build_File_CompilesWithoutDiagnostics(string file)
    {
        var result = BicepCli.Run("build", file, "--stdout");

        Assert.True(result.ExitCode == 0, Describe("build", file, result));
        Assert.True(result.Diagnostics.Count == 0, Describe("build", file, result));
        Assert.StartsWith("{", result.StandardOutput.TrimStart(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Lint_File_ReportsNoErrorsOrWarnings(string file)
    {
        var result = BicepCli.Run("lint", file);

        Assert.True(result.ExitCode == 0, Describe("lint", file, result));
        Assert.True(result.Diagnostics.Count == 0, Describe("lint", file, result));
    }

    [Fact]
    public void BuildParams_SampleWithOneSpotPool_TypeChecksAgainstMain()
    {
        // The gpuPools shape docs/deploy.md tells admins to write must satisfy gpuPoolSpec.
        var sample = Path.Combine(
            BicepCli.RepositoryRoot, "tests", "ControlPlane.Infra.Tests", "Samples", "one-gpu-pool.bicepparam");

        var result = BicepCli.Run("build-params", sample, "--stdout");

        Assert.True(result.ExitCode == 0, Describe("build-params", sample, result));
        Assert.True(result.Diagnostics.Count == 0, Describe("build-params", sample, result));
        var parameters = JsonNode.Parse((string)JsonNode.Parse(result.StandardOutput)!["parametersJson"]!)!;
        Assert.Equal(2, parameters["parameters"]!["gpuPools"]!["value"]!.AsArray().Count);
    }

    private static string Describe(string command, string file, BicepResult result) =>
        $"bicep {command} {file} exited {result.ExitCode} with {result.Diagnostics.Count} diagnostic(s):"
        + Environment.NewLine
        + string.Join(Environment.NewLine, result.Diagnostics);
}
