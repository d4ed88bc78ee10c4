using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.Infra;

/// <summary>A compiled ARM template and queries over it, nested module templates included.</summary>
internal sealed class ArmTemplate
{
    private ArmTemplate(JsonObject root) => Root = root;

    public JsonObject Root { get; }

    private static readonly JsonSerializerOptions s_readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>JSON text of <paramref name="node"/> with ARM expressions' quotes left unescaped.</summary>
    public static string Text(JsonNode node) => node.ToJsonString(s_readable);

    /// <summary>A top-level variable of the template (main.bicep's computed names and tags).</summary>
    public JsonNode Variable(string name) =>
        Root["variables"]?[name] ?? throw new KeyNotFoundException($"The template has no variable {name}.");

    public static ArmTemplate Compile(string bicepFile)
    {
        var result = BicepCli.Run("build", bicepFile, "--stdout");
        Assert.True(
            result.ExitCode == 0,
            $"bicep build {bicepFile} failed:{Environment.NewLine}{result.StandardError}");
        return new ArmTemplate(JsonNode.Parse(result.StandardOutput)!.AsObject());
    }

    /// <summary>
    /// Every resource declaration of <paramref name="type"/> in this template or any nested
    /// deployment, skipping `existing` references (which only appear in languageVersion 2.0).
    /// </summary>
    public IReadOnlyList<JsonObject> Resources(string type) =>
        Descendants(Root)
            .Where(node => string.Equals((string?)node["type"], type, StringComparison.OrdinalIgnoreCase)
                && node["apiVersion"] is not null
                && node["existing"]?.GetValue<bool>() != true)
            .ToList();

    /// <summary>The template of the nested deployment that declares a resource of <paramref name="type"/>.</summary>
    public JsonObject ModuleDeclaring(string type) =>
        Resources("Microsoft.Resources/deployments")
            .Select(deployment => deployment["properties"]?["template"]?.AsObject())
            .OfType<JsonObject>()
            .Single(template => TopLevelResources(template).Any(resource =>
                string.Equals((string?)resource["type"], type, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Resources declared directly in <paramref name="template"/> (array or symbolic-name object).</summary>
    public static IEnumerable<JsonObject> TopLevelResources(JsonObject template) =>
        template["resources"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject symbolic => symbolic.Select(pair => pair.Value).OfType<JsonObject>(),
            _ => [],
        };

    private static IEnumerable<JsonObject> Descendants(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                yield return obj;
                foreach (var (_, child) in obj)
                {
                    foreach (var descendant in Descendants(child))
                    {
                        yield return descendant;
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    foreach (var descendant in Descendants(child))
                    {
                        yield return descendant;
                    }
                }

                break;
        }
    }
}
