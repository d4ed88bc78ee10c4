using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.DurableTask.Client;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// Under the Functions host: runs every HTTP function through <see cref="HttpFunctionPipeline"/>, the gate the
/// standalone host runs too. Registered after the ASP.NET Core integration's own middleware, so it sees the request's
/// <see cref="HttpContext"/> and its answer is what the integration writes.
/// </summary>
public sealed class WorkerHttpMiddleware(HttpFunctionPipeline pipeline) : IFunctionsWorkerMiddleware
{
    private const string DurableClientBinding = "durableClient";

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (FunctionIndex.Find(context.FunctionDefinition.Name) is not { Trigger: HttpFunctionTrigger } function
            || context.GetHttpContext() is not { } http)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        // An audited orchestration change snapshots the instance before the function runs: bind the Durable client now.
        if (context.FunctionDefinition.InputBindings.Values.FirstOrDefault(b => b.Type == DurableClientBinding) is { } binding)
        {
            var client = await context.BindInputAsync<DurableTaskClient>(binding).ConfigureAwait(false);
            context.InstanceServices.GetRequiredService<DurableClientAccessor>().Client = client.Value;
        }

        var result = await pipeline.RunAsync(http, function, async () =>
        {
            await next(context).ConfigureAwait(false);
            return context.GetInvocationResult().Value;
        }).ConfigureAwait(false);
        context.GetInvocationResult().Value = result;
    }
}

/// <summary>
/// The Durable Task client of this request, for code that runs around a function rather than in it (the audit log's
/// snapshots). Standalone it is the host's client; under the Functions host, the function's <c>[DurableClient]</c> binding.
/// </summary>
public sealed class DurableClientAccessor
{
    public DurableTaskClient? Client { get; set; }

    public DurableTaskClient Required => Client ?? throw new InvalidOperationException("No Durable Task client is bound to this request.");
}
