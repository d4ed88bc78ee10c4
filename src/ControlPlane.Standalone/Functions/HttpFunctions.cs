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
