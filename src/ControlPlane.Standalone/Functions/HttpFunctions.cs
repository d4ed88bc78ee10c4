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
