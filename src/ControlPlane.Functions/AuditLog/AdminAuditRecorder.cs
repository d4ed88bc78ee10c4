using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ControlPlane.Access;
using ControlPlane.AuditLog;
using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.AuditLog;

/// <summary>
/// Wraps an admin function: snapshot the target, write the pending entry, run the handler, snapshot again, complete
/// the entry. Entry first, so a change is never made unaudited; see <see cref="AdminAuditService"/> for why a failed
/// completion leaves the entry pending rather than turning a change that happened into an error.
/// </summary>
internal static class AdminAuditRecorder
{
    public static async Task<object?> RunAsync(HttpContext http, AdminAction action, Func<Task<object?>> next)
    {
        var services = http.RequestServices;
        var audit = services.GetRequiredService<AdminAuditService>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminAuditRecorder));
        var cancellationToken = http.RequestAborted;

        // Reading the target and who is acting may fail like any read (503 storage_unavailable): nothing is changed yet.
        var target = await action.TargetAsync(http, cancellationToken);
        var before = target is null ? null : await SnapshotAsync(http, action, target, cancellationToken);
        var actor = await ActorAsync(http, cancellationToken);

        AdminAuditEntry pending;
        try
        {
            pending = await audit.BeginAsync(action.Kind, target?.Id, actor, before, http.TraceIdentifier, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.AuditBeginFailed(ex, action.Kind.ToString());
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, AuditLogErrors.Unavailable,
                "The audit log cannot be written, so the change was not made.", "Retry later; nothing was changed.");
        }

        object? result;
        try
        {
            result = await next();
        }
        catch (Exception ex)
        {
            var storage = StorageFailures.IsOutage(ex);
            await CompleteAsync(http, action, audit, logger, pending, target, AdminAuditOutcome.Failed,
                storage ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
                storage ? Problems.StorageUnavailable : Problems.InternalError, null);
            throw;
        }

        var answer = Unwrap(result);
        var status = (answer as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
        var outcome = status switch
        {
            < 400 => AdminAuditOutcome.Succeeded,
            < 500 => AdminAuditOutcome.Rejected,
            _ => AdminAuditOutcome.Failed,
        };
        var errorCode = answer is ProblemHttpResult problem && problem.ProblemDetails.Extensions.TryGetValue("code", out var code) ? code?.ToString() : null;
        var created = outcome == AdminAuditOutcome.Succeeded ? action.TargetOfResult?.Invoke((answer as IValueHttpResult)?.Value) : null;
        await CompleteAsync(http, action, audit, logger, pending, created ?? target, outcome, status, errorCode, created?.Id);
        return result;
    }

    /// <summary>
    /// Records the outcome with the target's state after. Not cancelled with the request: the change it describes has
    /// already happened. If it fails the entry stays pending, and the answer is still the change's own (a 503 would
    /// invite a retry that issues a second key or starts a second run).
    /// </summary>
    private static async Task CompleteAsync(
        HttpContext http, AdminAction action, AdminAuditService audit, ILogger logger, AdminAuditEntry pending, AuditTarget? target, AdminAuditOutcome outcome,
        int status, string? errorCode, string? revealedTarget)
    {
        try
        {
            var after = target is null ? null : await SnapshotAsync(http, action, target, CancellationToken.None);
            await audit.CompleteAsync(pending, outcome, status, errorCode, revealedTarget, after, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.AuditCompleteFailed(ex, pending.Id, action.Kind.ToString());
        }
    }

    private static async Task<JsonNode?> SnapshotAsync(HttpContext http, AdminAction action, AuditTarget target, CancellationToken cancellationToken)
    {
        var state = await action.SnapshotAsync(http, target, cancellationToken);
        return state is null ? null : JsonSerializer.SerializeToNode(state, state.GetType(), SnapshotJson(http));
    }

    /// <summary>
    /// The API's JSON shapes, but with nulls written: in a before/after, "revokedAt": null says the key was not revoked
    /// rather than leaving the reader to guess.
    /// </summary>
    private static JsonSerializerOptions SnapshotJson(HttpContext http) =>
        new(http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>Who is calling, as the audit log names them (the key, never its secret).</summary>
    internal static Task<AuditActor> ActorAsync(HttpContext http, CancellationToken cancellationToken) =>
        ActorAsync(http.User, http.RequestServices.GetRequiredService<IApiKeyStore>(), cancellationToken);

    /// <summary>The key behind <paramref name="user"/> as the audit log names it: id, issued name and role.</summary>
    internal static async Task<AuditActor> ActorAsync(System.Security.Claims.ClaimsPrincipal user, IApiKeyStore keys, CancellationToken cancellationToken)
    {
        var caller = user.GetCaller();
        if (caller.KeyId == ApiKeyService.BootstrapAdminKeyId)
        {
            return AuditActor.BootstrapAdmin;
        }

        var key = await keys.GetAsync(caller.KeyId, cancellationToken);
        return new AuditActor(caller.KeyId, key?.Name ?? string.Empty, caller.Role, Bootstrap: false);
    }

    /// <summary>The concrete result inside a <c>Results&lt;…&gt;</c> union.</summary>
    private static object? Unwrap(object? result)
    {
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }

        return result;
    }
}
