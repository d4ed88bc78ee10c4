using System.Net;

namespace ControlPlane.Health;

public sealed class HealthApiTests
{
    /// <summary>Azurite's well-known account on a port nothing listens on (9, discard).</summary>
    private const string UnreachableStorage =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;";

    [Fact]
    public async Task Health_StorageReachable_Is200WithoutKey()
    {
        await using var app = new ControlPlaneApp();

        var response = await app.Client(apiKey: null).GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", (await response.JsonAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_StorageUnreachable_Is503()
    {
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:Storage:ConnectionString"] = UnreachableStorage });

        var response = await app.Client(apiKey: null).GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("unhealthy", (await response.JsonAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ingest_StorageUnreachable_Is503ProblemNot500()
    {
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:Storage:ConnectionString"] = UnreachableStorage });

        var response = await app.Client().PostJsonAsync("/api/usage", """{"id":"x","team":"t","feature":"f","model":"gpt-4o","inputTokens":1,"outputTokens":1}""");

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "storage_unavailable");
    }

    [Fact]
    public async Task OpenApiDocument_IsServedWithoutKeyAndListsTheApi()
    {
        await using var app = new ControlPlaneApp();

        var document = await (await app.Client(apiKey: null).GetAsync("/api/openapi.json")).JsonAsync();

        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/usage", "/api/usage/{id}", "/api/costs", "/api/prices", "/api/prices/quote", "/api/keys", "/api/health",
            "/api/batch/requests", "/api/batch/requests/{id}", "/api/orchestrations", "/api/orchestrations/{id}", "/api/orchestrations/{kind}/start" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document.");
        }

        Assert.True(paths.GetProperty("/api/usage").GetProperty("post").TryGetProperty("requestBody", out _));
        Assert.True(paths.GetProperty("/api/batch/requests").GetProperty("post").TryGetProperty("requestBody", out _));
    }

    [Fact]
    public async Task OpenApiDocument_DeclaresTheApiKeyScheme_OnEveryKeyedOperationAndNoOther()
    {
        await using var app = new ControlPlaneApp();

        var document = await (await app.Client(apiKey: null).GetAsync("/api/openapi.json")).JsonAsync();

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        Assert.Equal(("apiKey", "header", "x-api-key"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString()));
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Verb: o.Name, Operation: o.Value))).ToList();
        Assert.True(operations.Count > 50);
        foreach (var (path, verb, operation) in operations)
        {
            var open = path is "/api/health" or "/api/openapi.json" or "/api/docs";
            var keyed = operation.TryGetProperty("security", out var security)
                && security.EnumerateArray().Any(r => r.TryGetProperty("apiKey", out _));
            Assert.True(keyed != open, $"{verb.ToUpperInvariant()} {path} {(open ? "needs no key but declares one" : "needs a key but does not declare it")}.");
        }
    }
}
