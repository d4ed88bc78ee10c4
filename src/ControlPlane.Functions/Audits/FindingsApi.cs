using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.Access;
using ControlPlane.Audits;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using ControlPlane.Validation;

namespace ControlPlane.Functions.Audits;

/// <summary>
/// Findings the audits raised: list and read them (an ingest key sees its own teams' only), acknowledge, dismiss or
/// resolve them, and apply a finding's proposed action (admin), which changes exactly what the matching admin
/// endpoint would and is recorded on the finding and in the audit log.
/// </summary>
[Tags("Findings")]
public sealed class FindingsApi(FindingService findings, IEnumerable<IProposedActionHandler> handlers)
{
    private const int MaxBodyBytes = 8 * 1024;
    private const string ListName = "findings";
    private readonly Dictionary<string, IProposedActionHandler> _handlers = handlers.ToDictionary(h => h.Type, StringComparer.Ordinal);

    [Function(nameof(ListFindings))]
    [ProblemResponse(StatusCodes.Status400BadRequest, FindingErrors.KindInvalid, FindingErrors.StateInvalid)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("kind", "Only findings of this kind.", Values = [FindingKinds.ZombieFeature, FindingKinds.ShadowAiUnapproved, FindingKinds.ShadowAiUntagged,
        FindingKinds.ShadowAiInvisibleSpend, FindingKinds.IdleProvisionedDeployment, FindingKinds.SpendAnomalyHour, FindingKinds.SpendAnomalyDay,
        FindingKinds.TokensPerCall, FindingKinds.CallsPerSession, FindingKinds.AgentLoop, FindingKinds.NegativeUnitEconomics,
        FindingKinds.ProposedBudget, FindingKinds.ProposedIsolation])]
    [QueryParameter("state", "Only findings in this state.", Enum = typeof(FindingState))]
    [QueryParameter("team", "Only findings about this team's work. An ingest key sees its own teams' findings only.")]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Findings the audits raised, in id order. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<FindingList>, ProblemHttpResult>> ListFindings(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/findings")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(ListName, request);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new List<ValidationError>();
        var kind = request.Text("kind");
        if (kind is not null && !FindingKinds.IsKnown(kind))
        {
            errors.Add(new(FindingErrors.KindInvalid, "kind", $"kind must be one of {string.Join(", ", FindingKinds.All)}."));
        }

        FindingState? state = null;
        if (request.Text("state") is { } stateText)
        {
            if (EnumNames.TryParse<FindingState>(stateText, out var parsed))
            {
                state = parsed;
            }
            else
            {
                errors.Add(new(FindingErrors.StateInvalid, "state", $"state must be one of {EnumNames.Allowed<FindingState>()}."));
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var caller = request.HttpContext.User.GetCaller();
        var team = request.Text("team");
        if (caller.Role == ApiRole.Ingest && team is not null && !caller.MayActForTeam(team))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden, "Name one of this key's teams with ?team=.", string.Join(", ", caller.Teams));
        }

        var filter = new FindingFilter(kind, state, team, caller.Role == ApiRole.Ingest ? caller.Teams : null);
        var found = await findings.ListAsync(filter, page!, cancellationToken);
        return TypedResults.Ok(new FindingList(found.Items, PageQuery.Token(ListName, found.Next)));
    }

    [Function(nameof(GetFinding))]
    [ProblemResponse(StatusCodes.Status404NotFound, FindingErrors.NotFound)]
    [Authorize(Policies.AnyKey)]
    [EndpointSummary("One finding with its evidence, recommendation, proposed action and history. An ingest key reads its own teams' findings only.")]
    public async Task<Results<Ok<Finding>, ProblemHttpResult>> GetFinding(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/findings/{id}")] HttpRequest request, [Description("The finding's id.")] string id, CancellationToken cancellationToken) =>
        await VisibleAsync(request, id, cancellationToken) is { } finding ? TypedResults.Ok(finding) : NotFound(id);

    [Function(nameof(AcknowledgeFinding))]
    [ProblemResponse(StatusCodes.Status400BadRequest, FindingErrors.NoteInvalid)]
    [ProblemResponse(StatusCodes.Status404NotFound, FindingErrors.NotFound)]
    [ProblemResponse(StatusCodes.Status409Conflict, FindingErrors.TransitionInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.FindingAcknowledge))]
    [AcceptsJson(typeof(FindingNoteBody))]
    [EndpointSummary("Someone is looking at it: open → acknowledged. Body optional: {\"note\"}.")]
    public Task<Results<Ok<Finding>, ProblemHttpResult>> AcknowledgeFinding(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/findings/{id}/acknowledge")] HttpRequest request, [Description("The finding's id.")] string id, CancellationToken cancellationToken) =>
        MoveAsync(request, id, FindingState.Acknowledged, cancellationToken);

    [Function(nameof(DismissFinding))]
    [ProblemResponse(StatusCodes.Status400BadRequest, FindingErrors.NoteInvalid)]
    [ProblemResponse(StatusCodes.Status404NotFound, FindingErrors.NotFound)]
    [ProblemResponse(StatusCodes.Status409Conflict, FindingErrors.TransitionInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.FindingDismiss))]
    [AcceptsJson(typeof(FindingNoteBody))]
    [EndpointSummary("Not a problem (say why in the note): open or acknowledged → dismissed. It stays quiet until its evidence gets materially worse.")]
    public Task<Results<Ok<Finding>, ProblemHttpResult>> DismissFinding(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/findings/{id}/dismiss")] HttpRequest request, [Description("The finding's id.")] string id, CancellationToken cancellationToken) =>
        MoveAsync(request, id, FindingState.Dismissed, cancellationToken);

    [Function(nameof(ResolveFinding))]
    [ProblemResponse(StatusCodes.Status400BadRequest, FindingErrors.NoteInvalid)]
    [ProblemResponse(StatusCodes.Status404NotFound, FindingErrors.NotFound)]
    [ProblemResponse(StatusCodes.Status409Conflict, FindingErrors.TransitionInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.FindingResolve))]
    [AcceptsJson(typeof(FindingNoteBody))]
    [EndpointSummary("Fixed: → resolved. If an audit sees it again, it opens again.")]
    public Task<Results<Ok<Finding>, ProblemHttpResult>> ResolveFinding(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/findings/{id}/resolve")] HttpRequest request, [Description("The finding's id.")] string id, CancellationToken cancellationToken) =>
        MoveAsync(request, id, FindingState.Resolved, cancellationToken);

    [Function(nameof(ApplyFinding))]
    [ProblemResponse(StatusCodes.Status404NotFound, FindingErrors.NotFound)]
    [ProblemResponse(StatusCodes.Status409Conflict, FindingErrors.NoProposedAction, FindingErrors.ActionUnsupported, FindingErrors.ActionFailed, FindingErrors.AlreadyApplied)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.FindingApply))]
    [EndpointSummary("Carry out the finding's proposed action (isolate a scope, create a budget, register or tag a resource) through the same code as the matching admin endpoint, and record who applied it, when, and what it changed. Once per finding.")]
    public async Task<Results<Ok<Finding>, ProblemHttpResult>> ApplyFinding(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/findings/{id}/apply")] HttpRequest request, [Description("The finding's id.")] string id, CancellationToken cancellationToken)
    {
        var finding = await findings.GetAsync(id, cancellationToken);
        if (finding is null)
        {
            return NotFound(id);
        }

        if (finding.ProposedAction is not { } action)
        {
            return Problems.Of(StatusCodes.Status409Conflict, FindingErrors.NoProposedAction, "This finding proposes no action.", finding.Recommendation);
        }

        if (finding.Applied is { } applied)
        {
            return AlreadyApplied(applied);
        }

        if (!_handlers.TryGetValue(action.Type, out var handler))
        {
            return Problems.Of(StatusCodes.Status409Conflict, FindingErrors.ActionUnsupported, $"Proposed action '{action.Type}' cannot be applied here; carry it out by hand.");
        }

        var actor = await AdminAuditRecorder.ActorAsync(request.HttpContext, cancellationToken);
        var result = await handler.ApplyAsync(action.Parameters, actor, cancellationToken);
        if (result.Errors.Count > 0)
        {
            return Problems.Of(StatusCodes.Status409Conflict, FindingErrors.ActionFailed, $"The proposed {action.Type} could not be carried out; nothing was changed.",
                string.Join(" ", result.Errors.Select(e => e.Message)));
        }

        var (recorded, now) = await findings.RecordAppliedAsync(id, actor, JsonSerializer.SerializeToElement(result.Result, ResultJson), cancellationToken);
        return now ? TypedResults.Ok(recorded!) : recorded?.Applied is { } other ? AlreadyApplied(other) : NotFound(id);
    }

    private static readonly JsonSerializerOptions ResultJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private async Task<Results<Ok<Finding>, ProblemHttpResult>> MoveAsync(HttpRequest request, string id, FindingState to, CancellationToken cancellationToken)
    {
        string? note = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (body, problem) = await JsonBody.ReadAsync<FindingNoteBody>(request, MaxBodyBytes, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            note = body!.Note?.Trim();
            if (note is { Length: > FindingNoteBody.MaxNoteLength })
            {
                return Problems.Validation([new(FindingErrors.NoteInvalid, "note", $"note is at most {FindingNoteBody.MaxNoteLength} characters.")]);
            }
        }

        var caller = request.HttpContext.User.GetCaller();
        try
        {
            return await findings.TransitionAsync(id, to, caller.KeyId, string.IsNullOrEmpty(note) ? null : note, cancellationToken) is { } moved
                ? TypedResults.Ok(moved)
                : NotFound(id);
        }
        catch (FindingTransitionException ex)
        {
            return Problems.Of(StatusCodes.Status409Conflict, FindingErrors.TransitionInvalid, ex.Message);
        }
    }

    /// <summary>The finding if this caller may see it: an ingest key only its own teams' (another team's is "not found", revealing nothing).</summary>
    private async Task<Finding?> VisibleAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var finding = await findings.GetAsync(id, cancellationToken);
        var caller = request.HttpContext.User.GetCaller();
        return finding is not null && (caller.Role != ApiRole.Ingest || (finding.Subject.Team is { } team && caller.MayActForTeam(team))) ? finding : null;
    }

    private static ProblemHttpResult NotFound(string id) => Problems.NotFoundOf(FindingErrors.NotFound, $"Finding '{id}'");

    private static ProblemHttpResult AlreadyApplied(AppliedAction applied) =>
        Problems.Of(StatusCodes.Status409Conflict, FindingErrors.AlreadyApplied, "This finding's action was applied already.",
            $"{applied.Type} by {applied.By.Name} at {applied.At:O}.");
}

/// <summary>Optional body of acknowledge, dismiss and resolve.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class FindingNoteBody
{
    public const int MaxNoteLength = 1000;

    public string? Note { get; set; }
}

/// <summary>A page of findings; <c>next</c> is absent on the last page.</summary>
public sealed record FindingList(IReadOnlyList<Finding> Findings, string? Next = null);
