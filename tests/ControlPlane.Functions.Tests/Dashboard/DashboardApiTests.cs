using System.Net;
using ControlPlane.Functions.Hosting;

namespace ControlPlane.Dashboard;

public sealed class DashboardApiTests : IAsyncLifetime
{
    private readonly ControlPlaneApp _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Root_IsTheDashboardPage_WithoutAKey_AndAStrictContentSecurityPolicy()
    {
        var response = await _app.Client(apiKey: null).GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/dashboard/app.js", await response.Content.ReadAsStringAsync());
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
    }

    [Fact]
    public async Task Assets_AreServedWithTheirTypes_RevalidatedByETag_AndUnknownNamesAre404()
    {
        var client = _app.Client(apiKey: null);

        var script = await client.GetAsync("/dashboard/app.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/css", (await client.GetAsync("/dashboard/app.css")).Content.Headers.ContentType?.MediaType);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard/app.js");
        again.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(again)).StatusCode);
        await (await client.GetAsync("/dashboard/secrets.json")).AssertProblemAsync(HttpStatusCode.NotFound, "dashboard_file_not_found");
        await (await client.GetAsync("/dashboard/..%2Fappsettings.json")).AssertProblemAsync(HttpStatusCode.NotFound, "dashboard_file_not_found");
    }

    [Fact]
    public void EveryHttpFunctionButTheDashboard_LivesUnderApi()
    {
        // host.json sets no route prefix (so the dashboard can answer at "/"); every API route must say api/ itself.
        var outside = FunctionIndex.Http.Where(f => !f.Http.Route.StartsWith("api/", StringComparison.Ordinal)).ToList();

        // The one exception besides the dashboard: OTLP/HTTP exporters post traces to {endpoint}/v1/traces, the path the
        // OpenTelemetry specification fixes, so an app configures only ControlPlane's base address.
        Assert.Equal(["Dashboard", "DashboardAsset", "ExportTraces"], outside.Select(f => f.Function.Name).Order());
        Assert.Equal("v1/traces", outside.Single(f => f.Function.Name == "ExportTraces").Http.Route);
    }
}
