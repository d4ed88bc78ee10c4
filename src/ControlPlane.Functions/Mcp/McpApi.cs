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
    [Function(nameof(Mcp))]
    [Authorize(Policies.AnyKey)]
    [EndpointSummary("Model Context Protocol (streamable HTTP, stateless): JSON-RPC messages from an MCP client. Read tools (costs, budget status, forecast, top movers, open findings) and propose-only tools, which raise a finding an admin applies with POST /api/findings/{id}/apply. Send Accept: application/json, text/event-stream.")]
    public async Task<EmptyHttpResult> Mcp(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mcp")] HttpRequest request)
    {
        // The handler writes the answer itself (a JSON-RPC response, as JSON or one server-sent event); nothing is left to write.
        await endpoint.HandlePostAsync(request.HttpContext);
        return TypedResults.Empty;
    }
}
