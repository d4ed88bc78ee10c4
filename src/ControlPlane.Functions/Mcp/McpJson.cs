using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ControlPlane.Functions.Hosting;

namespace ControlPlane.Functions.Mcp;

/// <summary>
/// JSON for the tools. Arguments are read with plain camelCase options, so a decimal argument's schema says "number"
/// (the API's decimal converter would leave it untyped). Answers are written as the HTTP API writes them (camelCase
/// enums, decimals without trailing zeros, no nulls), so a tool's JSON is the matching endpoint's.
/// </summary>
internal static class McpJson
{
    public static JsonSerializerOptions Arguments { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static readonly JsonSerializerOptions Answers = CreateAnswers();

    /// <summary>A tool's answer, serialized as the API would serialize it.</summary>
    public static JsonElement Answer<T>(T value) => JsonSerializer.SerializeToElement(value, Answers);

    private static JsonSerializerOptions CreateAnswers()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ControlPlaneServices.ConfigureJson(options);
        return options;
    }
}
