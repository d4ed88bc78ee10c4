using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// Renders the <c>function.json</c> the Functions host reads for each catalog entry. The files are checked in under
/// <c>FunctionMetadata/</c>, copied to the publish output root, and compared with this rendering by a test.
/// </summary>
public static class FunctionJson
{
    public const string MetadataFolder = "FunctionMetadata";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Render(FunctionDefinition function)
    {
        var bindings = function.Trigger switch
        {
            HttpTrigger http => new JsonArray(
                new JsonObject
                {
                    ["type"] = "httpTrigger",
                    ["direction"] = "in",
                    ["name"] = "req",
                    // Function keys sit in front of our own API keys in Azure; health and the OpenAPI document stay open.
                    ["authLevel"] = http.Anonymous ? "anonymous" : "function",
                    ["methods"] = new JsonArray([.. http.Methods.Select(m => JsonValue.Create(m.ToLowerInvariant()))]),
                    ["route"] = http.Route,
                },
                new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
            TimerTrigger timer => new JsonArray(new JsonObject
            {
                ["type"] = "timerTrigger",
                ["direction"] = "in",
                ["name"] = "timer",
                ["schedule"] = timer.ScheduleSetting is { } setting ? $"%{setting}%" : timer.Schedule,
            }),
            QueueTrigger queue => new JsonArray(new JsonObject
            {
                ["type"] = "queueTrigger",
                ["direction"] = "in",
                ["name"] = QueueTrigger.BindingName,
                ["queueName"] = queue.QueueName,
                // Identity-based: the host reads AzureWebJobsStorage__accountName/__credential/__clientId.
                ["connection"] = "AzureWebJobsStorage",
            }),
            _ => throw new NotSupportedException($"No function.json rendering for {function.Trigger.GetType().Name}."),
        };
        return new JsonObject { ["bindings"] = bindings }.ToJsonString(Indented) + "\n";
    }

    /// <summary>Writes every catalog entry's function.json below <paramref name="root"/> (used to refresh the checked-in files).</summary>
    public static void WriteAll(string root)
    {
        foreach (var function in FunctionCatalog.All)
        {
            var folder = Path.Combine(root, function.Name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "function.json"), Render(function));
        }
    }
}
