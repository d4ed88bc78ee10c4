using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// What happens around every HTTP function, under either host: its storage deadline begins, the caller's <c>x-api-key</c> is authenticated, the
/// function's policy is checked (401/403 problem+json with stable codes), an admin change is written to the audit
/// log, and an exception becomes a problem (503 <c>storage_unavailable</c> for an outage, 500 without internals
/// otherwise). The Functions host runs it from <see cref="WorkerHttpMiddleware"/>; the standalone host from its
/// endpoints. HTTP functions are anonymous at the Functions level: this is the only gate, so it is the same gate.
/// </summary>
public sealed class HttpFunctionPipeline(IAuthorizationService authorization, IOptions<DeadlineOptions> deadlines, ILogger<HttpFunctionPipeline> logger)
{
    /// <summary>Runs <paramref name="invoke"/> if the caller may, and returns the result to write (an <see cref="IResult"/>).</summary>
    public async Task<object?> RunAsync(HttpContext http, FunctionDescriptor function, Func<Task<object?>> invoke)
    {
        var trigger = (HttpFunctionTrigger)function.Trigger;
        using var deadline = RequestDeadlines.Begin(http, trigger, deadlines.Value);
        try
        {
            if (trigger.Policy is { } policy)
            {
                var authentication = await http.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName).ConfigureAwait(false);
                if (!authentication.Succeeded)
                {
                    return TypedResults.Challenge(authenticationSchemes: [ApiKeyAuthenticationHandler.SchemeName]);
                }

                http.User = authentication.Principal;
                if (!(await authorization.AuthorizeAsync(http.User, policy).ConfigureAwait(false)).Succeeded)
                {
                    return TypedResults.Forbid(authenticationSchemes: [ApiKeyAuthenticationHandler.SchemeName]);
                }
            }

            return trigger.Audit is { } action
                ? await AdminAuditRecorder.RunAsync(http, action, invoke).ConfigureAwait(false)
                : await invoke().ConfigureAwait(false);
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            var problem = UnhandledExceptionHandler.ProblemFor(ex);
            UnhandledExceptionHandler.LogFailure(logger, http, ex, problem);
            return problem;
        }
    }
}
