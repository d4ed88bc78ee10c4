using System.Text;
using System.Text.Json;

namespace ControlPlane.Batch;

/// <summary>
/// The Batch API's JSONL files: input lines (<c>{"custom_id", "method", "url", "body"}</c>) and output/error lines
/// (<c>{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}</c>).
/// </summary>
public static class BatchJsonl
{
    public const string ChatCompletionsUrl = "/chat/completions";
    private static readonly byte[] Newline = "\n"u8.ToArray();

    /// <summary>One input line; <paramref name="body"/> is the request's stored (normalised) JSON.</summary>
    public static byte[] InputLine(string customId, ReadOnlySpan<byte> body)
    {
        using var buffer = new MemoryStream(body.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("custom_id", customId);
            writer.WriteString("method", "POST");
            writer.WriteString("url", ChatCompletionsUrl);
            writer.WritePropertyName("body");
            writer.WriteRawValue(body, skipInputValidation: false);
            writer.WriteEndObject();
        }

        buffer.Write(Newline);
        return buffer.ToArray();
    }

    /// <summary>The custom ids of an input file, in order.</summary>
    public static IReadOnlyList<string> CustomIds(ReadOnlyMemory<byte> jsonl)
    {
        var ids = new List<string>();
        foreach (var line in Lines(jsonl))
        {
            using var document = JsonDocument.Parse(line);
            ids.Add(document.RootElement.GetProperty("custom_id").GetString()!);
        }

        return ids;
    }

    /// <summary>Output or error file lines by custom id. A line that cannot be read is a provider fault worth failing loudly on.</summary>
    public static IReadOnlyDictionary<string, BatchResultLine> Results(ReadOnlyMemory<byte> jsonl)
    {
        var results = new Dictionary<string, BatchResultLine>(StringComparer.Ordinal);
        foreach (var line in Lines(jsonl))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var customId = root.GetProperty("custom_id").GetString()!;
            int? status = null;
            JsonElement? body = null;
            BatchRequestError? error = null;
            if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
            {
                status = response.TryGetProperty("status_code", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : null;
                if (response.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.Object)
                {
                    body = b.Clone();
                    if (status is not 200 && b.TryGetProperty("error", out var bodyError) && bodyError.ValueKind == JsonValueKind.Object)
                    {
                        error = ErrorOf(bodyError);
                    }
                }
            }

            if (root.TryGetProperty("error", out var lineError) && lineError.ValueKind == JsonValueKind.Object)
            {
                error = ErrorOf(lineError);
            }

            if (status is not 200 && error is null)
            {
                error = new BatchRequestError($"http_{status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}", "The provider answered without an error body.");
            }

            results[customId] = new BatchResultLine(customId, status, error is null ? body : null, error);
        }

        return results;
    }

    private static BatchRequestError ErrorOf(JsonElement error) => new(
        error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "provider_error",
        error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : string.Empty);

    private static IEnumerable<ReadOnlyMemory<byte>> Lines(ReadOnlyMemory<byte> jsonl)
    {
        var rest = jsonl;
        while (!rest.IsEmpty)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
            if (!line.Span.Trim(" \r\t"u8).IsEmpty)
            {
                yield return line;
            }
        }
    }

    internal static string Utf8(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}

/// <summary>One request's outcome in an output or error file: a successful <see cref="Body"/> (a chat completion) or an <see cref="Error"/>.</summary>
public sealed record BatchResultLine(string CustomId, int? StatusCode, JsonElement? Body, BatchRequestError? Error)
{
    public bool Succeeded => Error is null && StatusCode == 200 && Body is not null;

    /// <summary>The provider's usage object: prompt, cached, completion and reasoning tokens.</summary>
    public (long Prompt, long Cached, long Completion, long Reasoning)? Usage()
    {
        if (Body is not { } body || !body.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        static long Read(JsonElement parent, string name) =>
            parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

        var promptDetails = usage.TryGetProperty("prompt_tokens_details", out var pd) ? pd : default;
        var completionDetails = usage.TryGetProperty("completion_tokens_details", out var cd) ? cd : default;
        return (Read(usage, "prompt_tokens"), Read(promptDetails, "cached_tokens"), Read(usage, "completion_tokens"), Read(completionDetails, "reasoning_tokens"));
    }

    /// <summary>Whether sending the request again could succeed: not for a request the provider refused as invalid (4xx other than 408/429).</summary>
    public bool IsRetryable => StatusCode is not (>= 400 and < 500) || StatusCode is 408 or 429;
}
