using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;

namespace ControlPlane.Standalone.Functions;

/// <summary>
/// <c>POST /admin/functions/{name}</c>: runs a timer function now, as the Functions host's admin API does (there with
/// the master key; here with a ControlPlane admin key). Unlike the host, it answers once the run has finished — 202
/// when it succeeded, a problem when it failed — so scripts and tests can wait on it.
/// </summary>
public static class AdminFunctionsApi
{
    public static IEndpointRouteBuilder MapAdminFunctionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/functions/{name}", RunAsync)
            .WithName("RunFunction")
            .RequireAuthorization(Policies.Admin)
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> RunAsync(string name, TimerFunctions timers, CancellationToken cancellationToken) =>
        await timers.RunAsync(name, cancellationToken)
            ? TypedResults.Accepted((string?)null)
            : Problems.NotFoundOf(Problems.NotFound, $"Timer function '{name}'");
}
