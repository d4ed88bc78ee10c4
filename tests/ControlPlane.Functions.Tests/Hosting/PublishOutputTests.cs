using System.Diagnostics;
using System.Text.Json;
using ControlPlane.Functions.Hosting;
using ControlPlane.Testing;

namespace ControlPlane.Hosting;

/// <summary>
/// What azd deploys is the zip of <c>dotnet publish</c>: it must hold host.json, every function.json and the dll
/// host.json starts, at the paths the Functions host looks for them.
/// </summary>
public sealed class PublishOutputTests
{
    [Fact]
    public void Publish_HasHostJsonEveryFunctionJsonAndTheEntryDll()
    {
        var root = Azurite.RepositoryRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var output = Directory.CreateTempSubdirectory("controlplane-publish-").FullName;
        try
        {
            // --no-build: the test run already built this configuration; publishing only lays the files out.
            var publish = Process.Start(new ProcessStartInfo("dotnet",
                $"publish \"{Path.Combine(root, "src", "ControlPlane.Functions")}\" -c {configuration} --no-build --nologo -o \"{output}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var log = publish.StandardOutput.ReadToEnd() + publish.StandardError.ReadToEnd();
            publish.WaitForExit();
            Assert.True(publish.ExitCode == 0, log);

            using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "host.json")));
            var dll = host.RootElement.GetProperty("customHandler").GetProperty("description").GetProperty("arguments")[0].GetString()!;
            Assert.True(File.Exists(Path.Combine(output, dll)), $"host.json starts {dll}, which is not in the publish output.");
            foreach (var function in FunctionCatalog.All)
            {
                var path = Path.Combine(output, function.Name, "function.json");
                Assert.True(File.Exists(path), $"{function.Name}/function.json is not in the publish output.");
                Assert.Equal(FunctionJson.Render(function), File.ReadAllText(path));
            }

            Assert.False(Directory.Exists(Path.Combine(output, FunctionJson.MetadataFolder)), "function.json files must sit at the root, not under FunctionMetadata/.");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
