using System.Text.Json;
using ControlPlane.AuditLog;
using ControlPlane.Audits;
using ControlPlane.Budgets;
using ControlPlane.Functions.Budgets;
using ControlPlane.Functions.Http;
using ControlPlane.Validation;

namespace ControlPlane.Functions.Audits;

/// <summary>What carrying out a proposed action did: the result to record on the finding, or why it could not be done.</summary>
public sealed record ProposedActionResult(object? Result, IReadOnlyList<ValidationError> Errors)
{
    public static ProposedActionResult Done(object result) => new(result, []);

    public static ProposedActionResult Refused(string code, string field, string message) => new(null, [new(code, field, message)]);
}

/// <summary>
/// Carries out one type of proposed action through the same code the matching admin endpoint calls, so applying a
/// finding changes exactly what the admin would have changed by hand.
/// </summary>
public interface IProposedActionHandler
{
    /// <summary>One of <see cref="ProposedActionTypes"/>.</summary>
    string Type { get; }

    /// <param name="by">The admin applying it (recorded where the admin endpoint records its caller).</param>
    Task<ProposedActionResult> ApplyAsync(JsonElement parameters, AuditActor by, CancellationToken cancellationToken);
}

/// <summary><c>register-resource</c>: one <c>PUT /api/ai-resources</c> entry, registered as that PUT registers it, approved by the admin applying it.</summary>
public sealed class RegisterResourceAction(AiResourceRegistration registration) : IProposedActionHandler
{
    public string Type => ProposedActionTypes.RegisterResource;

    public async Task<ProposedActionResult> ApplyAsync(JsonElement parameters, AuditActor by, CancellationToken cancellationToken)
    {
        var result = await registration.ApplyRegisterResourceAsync(parameters, by.KeyId, cancellationToken).ConfigureAwait(false);
        return result.IsValid ? ProposedActionResult.Done(result.Value!) : new(null, result.Errors);
    }
}

/// <summary><c>isolate-scope</c>: <c>{"scope": {"type", "value"}}</c>, as <c>POST /api/killswitches/isolate</c>.</summary>
public sealed class IsolateScopeAction(ScopeIsolation isolation, ControlPlane.Privacy.UserPseudonymizer users) : IProposedActionHandler
{
    public string Type => ProposedActionTypes.IsolateScope;

    public async Task<ProposedActionResult> ApplyAsync(JsonElement parameters, AuditActor by, CancellationToken cancellationToken)
    {
        var body = ProposedActionParameters.Read<ScopeBody>(parameters, out var problem);
        var errors = new List<ValidationError>();
        var scope = body is null ? null : BudgetRequest.ScopeRequest.Validate(body.Scope, errors, users);
        if (scope is null)
        {
            return problem ?? new(null, errors);
        }

        return ProposedActionResult.Done(await isolation.IsolateAsync(scope, cancellationToken).ConfigureAwait(false));
    }
}

/// <summary>
/// <c>create-budget</c>: <c>{"budgetId", "budget": {the PUT /api/budgets/{id} body}}</c>, stored and opened as that
/// PUT does. It creates: a budget already under that id (an admin's own, perhaps changed since) is left alone and the
/// action is refused rather than overwriting it.
/// </summary>
public sealed class CreateBudgetAction(IBudgetStore store, BudgetOpeningService opening, ControlPlane.Privacy.UserPseudonymizer users) : IProposedActionHandler
{
    public string Type => ProposedActionTypes.CreateBudget;

    public async Task<ProposedActionResult> ApplyAsync(JsonElement parameters, AuditActor by, CancellationToken cancellationToken)
    {
        var body = ProposedActionParameters.Read<CreateBudgetParameters>(parameters, out var problem);
        if (body is null)
        {
            return problem!;
        }

        if (string.IsNullOrWhiteSpace(body.BudgetId) || body.Budget is null)
        {
            return ProposedActionResult.Refused(FindingErrors.ActionFailed, "proposedAction.parameters", "create-budget needs budgetId and budget.");
        }

        var validated = body.Budget.Validate(body.BudgetId, users);
        if (!validated.IsValid)
        {
            return new(null, validated.Errors);
        }

        if (await store.GetAsync(body.BudgetId, cancellationToken).ConfigureAwait(false) is not null)
        {
            return ProposedActionResult.Refused(FindingErrors.ActionFailed, "proposedAction.parameters.budgetId",
                $"A budget with id '{body.BudgetId}' exists already; it was left as it is. Change it with PUT /api/budgets/{body.BudgetId}.");
        }

        return ProposedActionResult.Done(await opening.UpsertAsync(validated.Value!, cancellationToken).ConfigureAwait(false));
    }

    public sealed class CreateBudgetParameters
    {
        public string? BudgetId { get; set; }
        public BudgetRequest? Budget { get; set; }
    }
}

internal static class ProposedActionParameters
{
    /// <summary>Reads an action's parameters with the API's strict JSON rules (the audit wrote them, but an old finding may predate a change of shape).</summary>
    public static T? Read<T>(JsonElement parameters, out ProposedActionResult? problem)
        where T : class
    {
        try
        {
            problem = null;
            return parameters.Deserialize<T>(JsonBody.Options) ?? throw new JsonException("The parameters are null.");
        }
        catch (JsonException ex)
        {
            problem = ProposedActionResult.Refused(FindingErrors.ActionFailed, "proposedAction.parameters", $"The action's parameters do not fit it: {ex.Message}");
            return null;
        }
    }
}
