using System.Diagnostics;
using System.Text.Json;
using ControlPlane.Functions.Hosting;
using ControlPlane.Standalone.Functions;
using ControlPlane.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Hosting;

/// <summary>
/// What azd deploys is the zip of <c>dotnet publish src/ControlPlane.Functions</c>: an isolated-worker package the
/// Flex Consumption publish endpoint accepts. And what the Functions host would run is what the standalone host runs:
/// the SDK's <c>functions.metadata</c> and the standalone host list the same functions with the same triggers.
/// </summary>
public sealed class PublishOutputTests : IClassFixture<PublishOutputTests.Published>
{
    private readonly Published _published;

    public PublishOutputTests(Published published) => _published = published;

    /// <summary>One publish for the class: it takes a while.</summary>
    public sealed class Published : IDisposable
    {
        public Published()
        {
            var root = Azurite.RepositoryRoot();
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            Output = Directory.CreateTempSubdirectory("controlplane-publish-").FullName;

            // --no-build: the test run already built this configuration; publishing only lays the files out.
            var publish = Process.Start(new ProcessStartInfo("dotnet",
                $"publish \"{Path.Combine(root, "src", "ControlPlane.Functions")}\" -c {configuration} --no-build --nologo -o \"{Output}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            Log = publish.StandardOutput.ReadToEnd() + publish.StandardError.ReadToEnd();
            publish.WaitForExit();
            ExitCode = publish.ExitCode;
        }

        public string Output { get; }
        public string Log { get; }
        public int ExitCode { get; }

        public void Dispose() => Directory.Delete(Output, recursive: true);
    }

    [Fact]
    public void Publish_HoldsWhatTheFunctionsHostAndFlexNeed()
    {
        Assert.True(_published.ExitCode == 0, _published.Log);
        foreach (var file in new[] { "host.json", "functions.metadata", "worker.config.json", "extensions.json", "ControlPlane.Functions.dll" })
        {
            Assert.True(File.Exists(Path.Combine(_published.Output, file)), $"{file} is not in the publish output.");
        }

        Assert.True(Directory.Exists(Path.Combine(_published.Output, ".azurefunctions")), ".azurefunctions/ is not in the publish output: Flex refuses a dotnet-isolated package without it.");
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(_published.Output, "host.json")));
        Assert.False(host.RootElement.TryGetProperty("customHandler", out _), "host.json still configures a custom handler.");
        Assert.False(host.RootElement.TryGetProperty("extensionBundle", out _), "An isolated worker brings its extensions; host.json must not name a bundle.");
        Assert.True(host.RootElement.GetProperty("extensions").TryGetProperty("durableTask", out _), "host.json does not configure the Durable task hub.");
        Assert.False(Directory.EnumerateFiles(_published.Output, "function.json", SearchOption.AllDirectories).Any(), "A hand-written function.json is left in the package.");
    }

    [Fact]
    public void FunctionsMetadata_ListsEveryFunctionWithTheTriggerTheStandaloneHostServes()
    {
        Assert.True(_published.ExitCode == 0, _published.Log);
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(_published.Output, "functions.metadata")));
        var published = metadata.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => Describe(f.GetProperty("bindings")[0]));
        var indexed = FunctionIndex.All.ToDictionary(f => f.Name, f => Describe(f.Trigger));

        Assert.Equal(published.Keys.Order(StringComparer.Ordinal), indexed.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, trigger) in published)
        {
            Assert.Equal(trigger, indexed[name]);
        }
    }

    [Fact]
    public async Task StandaloneHost_ServesEveryFunctionOfTheIndex()
    {
        await using var app = new ControlPlaneApp();
        _ = app.Server;
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Name: e.Metadata.GetMetadata<FunctionDescriptor>()?.Name, Route: e.RoutePattern.RawText, Methods: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods))
            .Where(e => e.Name is not null)
            .ToDictionary(e => e.Name!);
        var timers = app.Services.GetRequiredService<TimerFunctions>();
        foreach (var function in FunctionIndex.All)
        {
            switch (function.Trigger)
            {
                case HttpFunctionTrigger http:
                    Assert.True(endpoints.TryGetValue(function.Name, out var endpoint), $"{function.Name} is not served by the standalone host.");
                    Assert.Equal($"/{http.Route}", endpoint.Route);
                    Assert.Equal(http.Methods, endpoint.Methods);
                    break;
                case TimerFunctionTrigger:
                    Assert.True(timers.Has(function.Name), $"{function.Name} is not scheduled by the standalone host.");
                    break;
            }
        }

        // Orchestrators and activities are registered by name with the Durable worker; a run proves it end to end
        // (see the nightly batch tests). Here: every one binds (a parameter the host cannot bind fails at start).
        Assert.All(FunctionIndex.All, f => FunctionInvoker.For(f));
    }

    private static string Describe(JsonElement binding) => binding.GetProperty("type").GetString() switch
    {
        "httpTrigger" => $"http {string.Join(",", binding.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()))} {binding.GetProperty("route").GetString()} {binding.GetProperty("authLevel").GetString()}",
        "timerTrigger" => $"timer {binding.GetProperty("schedule").GetString()}",
        var other => other!,
    };

    private static string Describe(FunctionTrigger trigger) => trigger switch
    {
        HttpFunctionTrigger http => $"http {string.Join(",", http.Methods)} {http.Route} Anonymous",
        TimerFunctionTrigger timer => $"timer {timer.Schedule}",
        OrchestrationFunctionTrigger => "orchestrationTrigger",
        ActivityFunctionTrigger => "activityTrigger",
        _ => trigger.ToString()!,
    };
}
