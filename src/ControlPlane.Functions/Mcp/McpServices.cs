using ModelContextProtocol.Protocol;

namespace ControlPlane.Functions.Mcp;

/// <summary>The advisory MCP server: its tools, and the stateless streamable HTTP transport <see cref="McpApi"/> serves.</summary>
public static class McpServices
{
    public static IServiceCollection AddControlPlaneMcp(this IServiceCollection services)
    {
        services.AddMcpServer(o =>
            {
                o.ServerInfo = new Implementation { Name = "controlplane", Version = typeof(McpServices).Assembly.GetName().Version?.ToString(3) ?? "1.0.0" };
                o.ServerInstructions = "ControlPlane's cost data for AI workloads: read costs, budgets, the month-end forecast, top movers and open findings. "
                    + "The propose_* tools change nothing: they raise a finding an admin applies or dismisses.";
            })
            // Stateless: every POST carries all the server needs, so any instance (or a Functions worker) can answer it
            // and nothing is kept between requests.
            .WithHttpTransport(o => o.Stateless = true)
            .WithTools<AdvisoryTools>(McpJson.Arguments)
            .WithTools<ProposalTools>(McpJson.Arguments);
        services.AddSingleton<McpEndpoint>();
        return services;
    }
}
