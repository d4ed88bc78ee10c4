using System.Text.Json.Serialization;
using ControlPlane.Pricing;
using ControlPlane.Usage;
using ControlPlane.Validation;

namespace ControlPlane.Budgets;

/// <summary><c>POST /api/authorize</c> body: the call an app is about to make.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class AuthorizeRequest
{
    public string? Team { get; set; }
    public string? Feature { get; set; }
    public string? User { get; set; }
    public string? App { get; set; }
    public string? Environment { get; set; }
    public string? Provider { get; set; }
    public string? Model { get; set; }
    public string? DeploymentType { get; set; }

    /// <summary>Accepted only to be refused with <c>usage_batch_price_reserved</c>: batch prices are not for
    /// real-time calls (deferrable work goes to <c>POST /api/batch/requests</c>).</summary>
    public bool? Batch { get; set; }

    public long? InputTokens { get; set; }

    /// <summary>Required: an uncapped call cannot be bounded, so it cannot be authorized.</summary>
    public long? MaxOutputTokens { get; set; }

    /// <summary>Validates with the same rules (and name resolution against <paramref name="sheet"/>) as usage
    /// events, plus a required output cap; a real-time call cannot be authorized at batch prices.</summary>
    public ValidationResult<AuthorizeCall?> Validate(UsageEventValidator validator, PriceSheet sheet, BudgetOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(validator);
        var errors = new List<ValidationError>();
        if (Batch == true)
        {
            errors.Add(new(UsageErrors.BatchPriceReserved, "batch",
                "A real-time call cannot be authorized at batch prices; post deferrable work to /api/batch/requests."));
        }

        if (DeploymentTypes.IsBatch(DeploymentType))
        {
            errors.Add(new(UsageErrors.BatchPriceReserved, "deploymentType",
                "A real-time call cannot be authorized at batch prices; post deferrable work to /api/batch/requests."));
        }

        if (MaxOutputTokens is null)
        {
            errors.Add(new(BudgetErrors.MaxOutputTokensRequired, "maxOutputTokens",
                "maxOutputTokens is required: an uncapped call cannot be bounded, so it cannot be authorized."));
        }
        else if (MaxOutputTokens < 1 || MaxOutputTokens > options.MaxOutputTokens)
        {
            errors.Add(new(UsageErrors.TokensTooLarge, "maxOutputTokens", $"maxOutputTokens must lie between 1 and {options.MaxOutputTokens:N0}."));
        }

        var asEvent = validator.ValidateCall(new UsageEventRequest
        {
            Id = "authorize", Team = Team, Feature = Feature, User = User, App = App, Environment = Environment, Provider = Provider,
            Model = Model, DeploymentType = DeploymentType, InputTokens = InputTokens, OutputTokens = 0,
        }, sheet, now);
        errors.AddRange(asEvent.Errors);
        if (errors.Count > 0)
        {
            return new(null, errors);
        }

        var e = asEvent.Value!;
        return new(new AuthorizeCall(
            e.Attribution,
            e.PricingContext, e.Tokens.InputTokens, MaxOutputTokens!.Value), errors);
    }
}

/// <summary>A validated call to authorize.</summary>
/// <param name="Lifetime">Overrides the reservation TTL (deferred batch work holds its money for days).</param>
/// <param name="ReservedForEventId">Server work only: the one usage event id that may settle the reservation; clients cannot release it.</param>
public sealed record AuthorizeCall(CallAttribution Attribution, PricingContext Pricing, long InputTokens, long MaxOutputTokens, TimeSpan? Lifetime = null, string? ReservedForEventId = null);

/// <summary>
/// The answer to an authorization: a reservation, or a denial naming the budget that would be exceeded. A denial
/// is a normal answer; <see cref="MaxAffordableOutputTokens"/> tells the client how far it could shrink the call.
/// </summary>
public sealed record AuthorizeResult
{
    public required bool Allowed { get; init; }
    public string? ReservationId { get; init; }
    public decimal? CeilingUsd { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public long MaxAffordableOutputTokens { get; init; }
    public string? Reason { get; init; }
    public string? BudgetId { get; init; }
    public BudgetScope? Scope { get; init; }
    public decimal? RemainingUsd { get; init; }
}

/// <summary>Stable denial reasons.</summary>
public static class DenialReasons
{
    public const string BudgetExceeded = "budget_exceeded";
    public const string KillSwitchTripped = "kill_switch_tripped";
    public const string ScopeIsolated = "scope_isolated";
    public const string UnpricedModel = "unpriced_model";
    public const string StorageUnavailable = "storage_unavailable";
}
