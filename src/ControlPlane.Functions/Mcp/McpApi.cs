using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;

namespace ControlPlane.Functions.Mcp;

/// <summary>
/// The advisory MCP server for AI agents, at <c>POST /api/mcp</c> (streamable HTTP, stateless). It is an ordinary HTTP
/// function, so it runs under the Functions host and the standalone host alike, behind the same gate as every route:
/// the <c>x-api-key</c> is checked (401 without a valid key) before the MCP handler sees the request, and each tool
/// then applies the key's role and teams as the matching HTTP endpoint does.
/// </summary>
[Tags("AI agents (MCP)")]
public sealed class McpApi(McpEndpoint endpoint)
{
    /// <summary>Largest MCP message accepted: a tool call's arguments are a few short strings and numbers.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    [Function(nameof(Mcp))]
    [ProblemResponse(StatusCodes.Status413PayloadTooLarge, Problems.BodyTooLarge)]
    [Authorize(Policies.AnyKey)]
    [EndpointSummary("Model Context Protocol (streamable HTTP, stateless): JSON-RPC messages from an MCP client. Read tools (costs, budget status, forecast, top movers, open findings) and propose-only tools, which raise a finding an admin applies with POST /api/findings/{id}/apply. Send Accept: application/json, text/event-stream.")]
    public async Task<Results<EmptyHttpResult, ProblemHttpResult>> Mcp(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp")] HttpRequest request, CancellationToken cancellationToken)
    {
        // The SDK reads the body unbounded; it is read here first, capped while reading (a chunked body has no length).
        if (request.ContentLength > MaxBodyBytes)
        {
            return JsonBody.TooLarge(MaxBodyBytes);
        }

        var body = new MemoryStream();
        request.HttpContext.Response.RegisterForDispose(body);
        try
        {
            await using var limited = new LengthLimitedStream(request.Body, MaxBodyBytes);
            await limited.CopyToAsync(body, cancellationToken);
        }
        catch (LengthLimitedStream.LimitExceededException)
        {
            return JsonBody.TooLarge(MaxBodyBytes);
        }

        body.Position = 0;
        request.Body = body;

        // The handler writes the answer itself (a JSON-RPC response, as JSON or one server-sent event); nothing is left to write.
        await endpoint.HandlePostAsync(request.HttpContext);
        return TypedResults.Empty;
    }
}
