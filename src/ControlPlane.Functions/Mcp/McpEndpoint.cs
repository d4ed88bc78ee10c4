using Microsoft.AspNetCore.Routing;

namespace ControlPlane.Functions.Mcp;

/// <summary>
/// The SDK's streamable HTTP handler as one <see cref="RequestDelegate"/>, so an ordinary HTTP function can call it.
/// <c>MapMcp</c> only maps endpoints onto a route builder, and the Functions host routes nothing but functions to the
/// worker; so the endpoints are mapped here onto a builder of our own, once, and the POST endpoint's delegate is kept.
/// Stateless, a POST carries everything the server needs, which is why one function can serve it under either host.
/// </summary>
public sealed class McpEndpoint
{
    private readonly RequestDelegate _post;

    public McpEndpoint(IServiceProvider services)
    {
        var routes = new EndpointCollector(services);
        routes.MapMcp();
        _post = routes.DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Single(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Post) == true)
            .RequestDelegate ?? throw new InvalidOperationException("The MCP POST endpoint has no request delegate.");
    }

    /// <summary>Answers one MCP POST (a JSON-RPC message or batch) on <paramref name="http"/>'s response.</summary>
    public Task HandlePostAsync(HttpContext http) => _post(http);

    private sealed class EndpointCollector(IServiceProvider services) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider { get; } = services;

        public ICollection<EndpointDataSource> DataSources { get; } = [];

        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(ServiceProvider);
    }
}
