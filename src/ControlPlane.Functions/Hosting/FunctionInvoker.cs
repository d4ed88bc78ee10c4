namespace ControlPlane.Functions.Hosting;

/// <summary>
/// Runs a non-HTTP function by name. The custom-handler endpoint (the Functions host) and the local trigger
/// runner (standalone) both come through here, so a function behaves the same in both.
/// </summary>
public sealed class FunctionInvoker(IServiceScopeFactory scopes, ILogger<FunctionInvoker> logger)
{
    public async Task<FunctionResult> InvokeAsync(FunctionDefinition function, FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        if (function.HandlerType is null)
        {
            throw new InvalidOperationException($"Function {function.Name} is an HTTP function and is not invoked by name.");
        }

        await using var scope = scopes.CreateAsyncScope();
        var handler = (IFunctionHandler)scope.ServiceProvider.GetRequiredService(function.HandlerType);
        logger.InvokingFunction(function.Name);
        return await handler.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }
}
