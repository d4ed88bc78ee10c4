using System.Text.Json;
using ControlPlane.Functions.Hosting;
using ControlPlane.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Hosting;

/// <summary>The catalog, the mapped endpoints and the shipped function.json files must tell the Functions host the same story.</summary>
public sealed class FunctionCatalogTests : IAsyncLifetime
{
    private static readonly string MetadataRoot = Path.Combine(Azurite.RepositoryRoot(), "src", "ControlPlane.Functions", FunctionJson.MetadataFolder);
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public void Endpoints_UnderApi_EqualCatalogHttpFunctions()
    {
        _ = _app.Server;
        var endpoints = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/", StringComparison.Ordinal) == true)
            .Select(e => (
                Name: e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
                Route: e.RoutePattern.RawText!.TrimStart('/')["api/".Length..].TrimEnd('/'),
                Methods: string.Join(",", (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Order())))
            .OrderBy(e => e.Name)
            .ToList();
        var catalog = FunctionCatalog.All
            .Where(f => f.Trigger is HttpTrigger)
            .Select(f => ((string?)f.Name, ((HttpTrigger)f.Trigger).Route, string.Join(",", ((HttpTrigger)f.Trigger).Methods.Order())))
            .OrderBy(e => e.Item1)
            .ToList();

        Assert.Equal(catalog, endpoints);
    }

    [Fact]
    public void FunctionJsonFiles_EqualCatalogRendering()
    {
        if (Environment.GetEnvironmentVariable("CONTROLPLANE_UPDATE_FUNCTION_JSON") == "1")
        {
            FunctionJson.WriteAll(MetadataRoot);
        }

        var onDisk = Directory.GetDirectories(MetadataRoot).Select(d => Path.GetFileName(d)!).Order().ToList();
        Assert.Equal(FunctionCatalog.All.Select(f => f.Name).Order().ToList(), onDisk);
        foreach (var function in FunctionCatalog.All)
        {
            var file = File.ReadAllText(Path.Combine(MetadataRoot, function.Name, "function.json"));
            Assert.True(FunctionJson.Render(function) == file,
                $"{function.Name}/function.json is stale; run the tests with CONTROLPLANE_UPDATE_FUNCTION_JSON=1 to regenerate it.");
        }
    }

    [Fact]
    public void BuildOutput_HasHostJsonEveryFunctionJsonAndTheDllHostJsonNames()
    {
        var output = AppContext.BaseDirectory;
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "host.json")));
        var handler = host.RootElement.GetProperty("customHandler");
        var dll = handler.GetProperty("description").GetProperty("arguments")[0].GetString()!;

        Assert.Equal("dotnet", handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(handler.GetProperty("enableForwardingHttpRequest").GetBoolean());
        Assert.Equal("[4.*, 5.0.0)", host.RootElement.GetProperty("extensionBundle").GetProperty("version").GetString());
        Assert.True(File.Exists(Path.Combine(output, dll)), $"host.json starts {dll}, which is not in the output.");
        foreach (var function in FunctionCatalog.All)
        {
            Assert.True(File.Exists(Path.Combine(output, function.Name, "function.json")), $"{function.Name}/function.json is not in the output.");
        }
    }

    [Fact]
    public void TimerSchedules_AreValidSixFieldCron()
    {
        foreach (var timer in FunctionCatalog.All.Select(f => f.Trigger).OfType<TimerTrigger>())
        {
            Assert.Equal(6, timer.Schedule.Split(' ').Length);
            Assert.NotNull(Cronos.CronExpression.Parse(timer.Schedule, Cronos.CronFormat.IncludeSeconds));
        }
    }
}
