using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.AuditLog;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Mvc;

namespace ControlPlane.Functions.AuditLog;

/// <summary>The admin audit log: every admin change with who, when, what, before and after.</summary>
[Tags("Audit log")]
public sealed class AuditLogApi(AdminAuditService audit)
{

    [Function(nameof(ListAuditLog))]
    [ProblemResponse(StatusCodes.Status400BadRequest, AuditLogErrors.KindInvalid, AuditLogErrors.FromInvalid, AuditLogErrors.ToInvalid, AuditLogErrors.RangeInvalid, AuditLogErrors.LimitInvalid, AuditLogErrors.NextInvalid)]
    [Authorize(Policies.Admin)]
    [QueryParameter("kind", "A kind (budget.upsert, budget.delete, price.upsert, key.issue, key.revoke, killswitch.isolate, killswitch.reset, gpu_pool.upsert, orchestration.start, orchestration.terminate, orchestration.retry, team.upsert, feature.upsert) or a family ending in '.' (budget.).")]
    [QueryParameter("from", "Entries at or after this time: a date (2026-11-23) or an RFC 3339 time with an offset.")]
    [QueryParameter("to", "Entries before this time: a date or an RFC 3339 time with an offset.")]
    [QueryParameter("limit", "Entries per page, 1-1000. Default 100.", Type = typeof(int))]
    [QueryParameter("next", "The next token of the previous page, unchanged.")]
    [EndpointSummary("Admin changes, newest first: who (key id and name), when, what (kind, target), outcome, and the target before and after.")]
    [EndpointDescription("Budgets, prices, keys, kill switches, GPU pools, orchestrations, teams and features changed by an admin. Page with ?limit= and the answer's next; "
        + "filter with ?kind= (budget.upsert, or a family such as budget.) and ?from= / ?to= (from inclusive, to exclusive). "
        + "An entry whose outcome is pending was written before its change and never completed (the change may or may not have happened).")]
    [ProducesResponseType(typeof(ProblemDetails), StatusCodes.Status400BadRequest, "application/problem+json")]
    public async Task<Results<Ok<AuditLogPage>, ProblemHttpResult>> ListAuditLog(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/audit-log")] HttpRequest request, CancellationToken cancellationToken)
    {
        var query = AdminAuditQuery.Parse(request.Text("kind"), request.Text("from"), request.Text("to"), request.Text("limit"), request.Text("next"));
        if (!query.IsValid)
        {
            return Problems.Validation(query.Errors);
        }

        var page = await audit.ListAsync(query.Value!, cancellationToken);
        return TypedResults.Ok(new AuditLogPage([.. page.Entries.Select(AuditLogEntryView.From)], page.Next?.Encode()));
    }
}

/// <summary><c>GET /api/audit-log</c> answer; <c>next</c> is null on the last page.</summary>
public sealed record AuditLogPage(IReadOnlyList<AuditLogEntryView> Entries, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Next);

/// <summary>
/// One entry. <c>before</c> / <c>after</c> are the target's JSON (null: it did not exist); a snapshot too large for
/// storage is a JSON string holding its first characters, with <c>beforeTruncated</c> / <c>afterTruncated</c> and the
/// full length.
/// </summary>
public sealed record AuditLogEntryView(
    string Id,
    DateTimeOffset At,
    string Kind,
    string? Target,
    AuditActor Actor,
    AdminAuditOutcome Outcome,
    bool? Changed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? Before,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? After,
    bool? BeforeTruncated,
    int? BeforeLength,
    bool? AfterTruncated,
    int? AfterLength,
    DateTimeOffset? CompletedAt,
    int? StatusCode,
    string? ErrorCode,
    string? RequestId)
{
    public static AuditLogEntryView From(AdminAuditEntry e) => new(
        e.Id, e.At, e.Kind.ToString(), e.Target, e.Actor, e.Outcome, e.Changed, Json(e.Before), Json(e.After),
        e.Before?.Truncated == true ? true : null, e.Before?.Truncated == true ? e.Before.OriginalLength : null,
        e.After?.Truncated == true ? true : null, e.After?.Truncated == true ? e.After.OriginalLength : null,
        e.CompletedAt, e.StatusCode, e.ErrorCode, e.RequestId);

    private static JsonElement? Json(AuditSnapshot? snapshot)
    {
        if (snapshot is null)
        {
            return null;
        }

        if (snapshot.Truncated)
        {
            return JsonSerializer.SerializeToElement(snapshot.Json);
        }

        using var document = JsonDocument.Parse(snapshot.Json);
        return document.RootElement.Clone();
    }
}
