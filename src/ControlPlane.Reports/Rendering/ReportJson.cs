using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Reports.Rendering;

/// <summary><c>report.json</c>: the content as the API serves it (camelCase, enums by name, exact decimals).</summary>
public static class ReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Render(ReportContent content) => JsonSerializer.SerializeToUtf8Bytes(content, Options);

    public static ReportContent Read(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<ReportContent>(json, Options) ?? throw new JsonException("The report JSON is null.");
}
