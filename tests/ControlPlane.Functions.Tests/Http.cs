using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ControlPlane;

/// <summary>Small helpers for reading the app's answers in tests.</summary>
public static partial class Http
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    /// <summary>Asserts a problem+json answer with the given status and stable code, and returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body[..Math.Min(body.Length, 400)]}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, json.GetProperty("code").GetString());
        return json;
    }

    /// <summary>
    /// A 4xx in the shape its endpoint documents: problem+json with a stable <c>code</c>; for the OTLP receiver, the
    /// protocol's Status body with our code in <c>x-controlplane-error-code</c>; for the MCP endpoint, a JSON-RPC error.
    /// </summary>
    public static bool IsDocumentedRefusal(string function, HttpResponseMessage response, string body)
    {
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            return ProblemCode(body) is { Length: > 0 };
        }

        return function switch
        {
            "ExportTraces" => response.Headers.TryGetValues("x-controlplane-error-code", out var codes) && codes.Any(c => c.Length > 0),
            "Mcp" => body.Contains("\"jsonrpc\"", StringComparison.Ordinal) && body.Contains("\"error\"", StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>The <c>code</c> of a problem+json body, or null.</summary>
    public static string? ProblemCode(string body)
    {
        try
        {
            var root = JsonDocument.Parse(body).RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A function's route with every parameter set to <paramref name="value"/>; an optional parameter left out.</summary>
    public static string FillRoute(string route, string value) =>
        RouteParameter().Replace(route, m => m.Value.EndsWith("?}", StringComparison.Ordinal) ? string.Empty : value);

    [System.Text.RegularExpressions.GeneratedRegex(@"\{[^}]+\}")]
    private static partial System.Text.RegularExpressions.Regex RouteParameter();
}
