using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// The custom-handler invocation protocol for non-HTTP triggers: the Functions host posts
/// <c>{"Data", "Metadata"}</c> to <c>/{FunctionName}</c> and reads <c>{"Outputs", "Logs", "ReturnValue"}</c>.
/// Under the host the app listens on 127.0.0.1 only, so only the host reaches this; standalone, it needs an
/// admin key (handy to run a timer function by hand).
/// </summary>
public static class CustomHandlerApi
{
    public static IEndpointRouteBuilder MapCustomHandlerApi(this IEndpointRouteBuilder app, HostingMode mode)
    {
        var endpoint = app.MapPost("/{functionName}", InvokeAsync)
            .WithTags("Functions host")
            .WithSummary("Invoke a timer or queue function by name (the Azure Functions custom-handler protocol).")
            .ExcludeFromDescription();
        if (!mode.IsCustomHandler)
        {
            endpoint.RequireAuthorization(Policies.Admin);
        }

        return app;
    }

    public static async Task<Results<Ok<FunctionResult>, ProblemHttpResult>> InvokeAsync(
        string functionName, HttpRequest request, FunctionInvoker invoker, CancellationToken cancellationToken)
    {
        var function = FunctionCatalog.Find(functionName);
        if (function?.HandlerType is null)
        {
            return Problems.NotFoundOf(Problems.NotFound, $"Function '{functionName}'");
        }

        var invocation = FunctionInvocation.Empty;
        if (request.ContentLength is > 0)
        {
            var (body, problem) = await JsonBody.ReadAsync<FunctionInvocation>(request, 1024 * 1024, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            invocation = body!;
        }

        return TypedResults.Ok(await invoker.InvokeAsync(function, invocation, cancellationToken));
    }
}

/// <summary>Standalone or under the Functions host (which sets <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>).</summary>
public sealed record HostingMode(int? CustomHandlerPort)
{
    public bool IsCustomHandler => CustomHandlerPort is not null;

    public static HostingMode From(IConfiguration configuration) =>
        new(int.TryParse(configuration["FUNCTIONS_CUSTOMHANDLER_PORT"], out var port) ? port : null);
}
