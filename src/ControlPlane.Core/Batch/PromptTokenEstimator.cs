using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace ControlPlane.Batch;

/// <summary>
/// Counts a chat-completions request's prompt tokens before it is sent, with the o200k tokenizer (GPT-4o and later)
/// and the chat format's overhead: 3 tokens per message, 1 per name, 3 to prime the reply. Tools and a response
/// format are counted as their JSON. The count is what the budget reservation is sized on; the provider's real
/// usage settles it.
/// </summary>
public static class PromptTokenEstimator
{
    private const int PerMessage = 3;
    private const int PerName = 1;
    private const int ReplyPriming = 3;
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public static long Count(JsonObject body)
    {
        var tokenizer = O200k.Value;
        long total = ReplyPriming;
        if (body["messages"] is JsonArray messages)
        {
            foreach (var message in messages.OfType<JsonObject>())
            {
                total += PerMessage;
                total += Text(tokenizer, message["role"]);
                if (message["name"] is not null)
                {
                    total += PerName + Text(tokenizer, message["name"]);
                }

                total += Content(tokenizer, message["content"]);
                if (message["tool_calls"] is { } calls)
                {
                    total += tokenizer.CountTokens(calls.ToJsonString());
                }
            }
        }

        foreach (var extra in new[] { "tools", "functions", "response_format" })
        {
            if (body[extra] is { } node)
            {
                total += tokenizer.CountTokens(node.ToJsonString());
            }
        }

        return total;
    }

    private static long Content(Tokenizer tokenizer, JsonNode? content) => content switch
    {
        JsonValue => Text(tokenizer, content),
        JsonArray parts => parts.OfType<JsonObject>().Sum(p => p["text"] is { } text ? Text(tokenizer, text) : tokenizer.CountTokens(p.ToJsonString())),
        null => 0,
        _ => tokenizer.CountTokens(content.ToJsonString()),
    };

    private static long Text(Tokenizer tokenizer, JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? tokenizer.CountTokens(text) : 0;
}
