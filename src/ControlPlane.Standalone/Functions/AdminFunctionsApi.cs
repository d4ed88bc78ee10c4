using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;

namespace ControlPlane.Standalone.Functions;

/// <summary>
/// <c>POST /admin/functions/{name}</c>: runs a timer function now, as the Functions host's admin API does (there with
/// the master key; here with a ControlPlane admin key). Unlike the host, it answers once the run has finished — 200
/// with what the run did, or a problem when it failed — so scripts and tests can wait on it.
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
        timers.Has(name)
            ? TypedResults.Ok(await timers.RunAsync(name, cancellationToken))
            : Problems.NotFoundOf(Problems.NotFound, $"Timer function '{name}'");
}
