using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ControlPlane.Infra;

/// <summary>
/// host.json (repository root, copied into the publish output) as the Functions host on Flex Consumption reads it:
/// an isolated-worker app with Durable Functions on the Azure Storage backend.
/// </summary>
public sealed partial class HostJsonTests
{
    private static readonly Lazy<JsonObject> s_host = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.RepositoryRoot, "host.json")))!.AsObject());

    private static JsonObject Host => s_host.Value;

    [Theory]
    [InlineData("customHandler")]
    [InlineData("extensionBundle")]
    public void HostJson_CustomHandlerLeftovers_AreGone(string section)
    {
        // An isolated-worker app brings its extensions in its own build; a bundle or a custom handler would
        // make the host start something other than the worker.
        Assert.False(Host.ContainsKey(section), $"host.json still has {section}.");
    }

    [Fact]
    public void HostJson_Extensions_HaveNoRoutePrefixAndNoQueueSettings()
    {
        var extensions = Host["extensions"];

        // No prefix, so the dashboard is served at "/" under the Functions host; the API's routes carry "api/"
        // themselves (a test in the Functions tests checks every one does).
        Assert.Equal("2.0", (string?)Host["version"]);
        Assert.Equal("", (string?)extensions?["http"]?["routePrefix"]);
        Assert.Null(extensions?["queues"]);
    }

    [Fact]
    public void HostJson_DurableTaskHub_HasAFixedValidName()
    {
        var hubName = (string?)Host["extensions"]?["durableTask"]?["hubName"];

        // A %setting% that is missing would stop the host; a fixed name cannot be missing. Task hub names are
        // 3-45 alphanumerics starting with a letter.
        Assert.NotNull(hubName);
        Assert.Matches(TaskHubName(), hubName);
    }

    [Fact]
    public void HostJson_DurableQueuePolling_IsAtMostTenSecondsAsFlexConsumptionNeeds()
    {
        var interval = (string?)Host["extensions"]?["durableTask"]?["storageProvider"]?["maxQueuePollingInterval"];

        Assert.NotNull(interval);
        var parsed = TimeSpan.Parse(interval, CultureInfo.InvariantCulture);
        Assert.InRange(parsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void HostJson_FunctionTimeout_IsBoundedForFlexConsumption()
    {
        var timeout = (string?)Host["functionTimeout"];

        // Flex Consumption's default is 30 minutes and it enforces no maximum; an explicit bound keeps a hung
        // activity from running (and billing) forever.
        Assert.NotNull(timeout);
        Assert.InRange(TimeSpan.Parse(timeout, CultureInfo.InvariantCulture), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30));
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,44}$")]
    private static partial Regex TaskHubName();
}
