using ControlPlane.Functions.Hosting;

namespace ControlPlane.Standalone.Functions;

/// <summary>
/// Serves every HTTP function at <c>/{route}</c> with its methods, through the same
/// <see cref="HttpFunctionPipeline"/> (key auth, roles, audit log, problems) the Functions host runs it through.
/// </summary>
public static class HttpFunctions
{
    public static IEndpointRouteBuilder MapHttpFunctions(this IEndpointRouteBuilder app)
    {
        foreach (var (function, http) in FunctionIndex.Http)
        {
            var invoker = FunctionInvoker.For(function);
            app.MapMethods($"/{http.Route}", http.Methods, context => ServeAsync(context, function, invoker))
                .WithName(function.Name)
                .WithMetadata(function);
        }

        return app;
    }

    /// <summary>
    /// Begins each HTTP function's storage deadline before authentication runs, so a key lookup that hangs on storage
    /// is bounded like the function itself (<see cref="RequestDeadlines"/>).
    /// </summary>
    public static IApplicationBuilder UseStorageDeadlines(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var function = context.GetEndpoint()?.Metadata.GetMetadata<FunctionDescriptor>();
            var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<DeadlineOptions>>().Value;
            using var deadline = function?.Trigger is HttpFunctionTrigger trigger ? RequestDeadlines.Begin(context, trigger, options) : null;
            await next(context);
        });

    /// <summary>
    /// A path no function serves, or a method it does not take, answers problem+json with a stable code like every
    /// other refusal (<c>route_not_found</c>, <c>method_not_allowed</c>), not an empty body. Under the Functions host,
    /// the host answers these itself.
    /// </summary>
    public static IApplicationBuilder UseProblemsForUnknownRoutes(this IApplicationBuilder app) =>
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var (code, title) = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => ("route_not_found", "Nothing is served at this path."),
                StatusCodes.Status405MethodNotAllowed => ("method_not_allowed", "This path does not take this method."),
                _ => (null, null),
            };
            if (code is not null)
            {
                await ControlPlane.Functions.Http.Problems.Of(http.Response.StatusCode, code, title!, $"{http.Request.Method} {http.Request.Path}").ExecuteAsync(http);
            }
        });

    private static async Task ServeAsync(HttpContext context, FunctionDescriptor function, FunctionInvoker invoker)
    {
        var pipeline = context.RequestServices.GetRequiredService<HttpFunctionPipeline>();
        var result = await pipeline.RunAsync(context, function,
            () => invoker.InvokeAsync(new FunctionInvocation(context.RequestServices, context.Request, context.RequestAborted, context)));
        if (result is IResult answer)
        {
            await answer.ExecuteAsync(context);
        }
        else if (result is not null)
        {
            await Results.Json(result).ExecuteAsync(context);
        }
    }
}
