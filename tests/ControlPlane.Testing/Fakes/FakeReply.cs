using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Testing.Fakes;

/// <summary>
/// What a fake Azure service answers: a status, a JSON body (or raw bytes, for file content) and headers, in the
/// <c>{"error": {"code", "message"}}</c> shape Azure services share.
/// </summary>
internal sealed record FakeReply(int Status, JsonObject? Body, IReadOnlyList<(string Name, string Value)> Headers)
{
    public FakeReply(int status, JsonObject? body) : this(status, body, []) { }

    /// <summary>Raw content (a file download) sent instead of <see cref="Body"/>.</summary>
    public byte[]? Bytes { get; init; }

    public static FakeReply Error(int status, string code, string message) =>
        new(status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    /// <summary>This reply with a retry-after header (services differ in its capitalisation), when <paramref name="seconds"/> is set.</summary>
    public FakeReply WithRetryAfter(string headerName, int? seconds) =>
        seconds is { } s ? this with { Headers = [.. Headers, (headerName, s.ToString(CultureInfo.InvariantCulture))] } : this;

    /// <summary>Writes the reply, with a fresh request id under <paramref name="requestIdHeader"/> as the service sends one.</summary>
    public async Task WriteAsync(HttpContext context, string requestIdHeader, string jsonContentType)
    {
        context.Response.StatusCode = Status;
        context.Response.Headers[requestIdHeader] = Guid.NewGuid().ToString();
        foreach (var (name, value) in Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (Bytes is { } bytes)
        {
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
        else if (Body is not null)
        {
            context.Response.ContentType = jsonContentType;
            await context.Response.WriteAsync(Body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
        }
    }
}
