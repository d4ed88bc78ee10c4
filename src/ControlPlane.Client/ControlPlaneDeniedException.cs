using ControlPlane.Client.Api;

namespace ControlPlane.Client;

/// <summary>
/// ControlPlane denied the call before it reached the provider: a hard budget (<see cref="BudgetId"/>) cannot afford
/// its worst case. <see cref="RemainingUsd"/> is what that budget has left and <see cref="MaxAffordableOutputTokens"/>
/// the largest output cap it would still allow for the same prompt (0: none).
/// </summary>
public sealed class ControlPlaneDeniedException : Exception
{
    public ControlPlaneDeniedException(AuthorizeResponse denial)
        : base(Describe(denial))
    {
        ArgumentNullException.ThrowIfNull(denial);
        BudgetId = denial.BudgetId;
        Reason = denial.Reason;
        Scope = denial.Scope;
        RemainingUsd = denial.RemainingUsd;
        MaxAffordableOutputTokens = denial.MaxAffordableOutputTokens;
    }

    public ControlPlaneDeniedException()
    {
    }

    public ControlPlaneDeniedException(string message)
        : base(message)
    {
    }

    public ControlPlaneDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public string? BudgetId { get; }
    public string? Reason { get; }
    public BudgetScope? Scope { get; }
    public decimal? RemainingUsd { get; }
    public long MaxAffordableOutputTokens { get; }

    private static string Describe(AuthorizeResponse d) =>
        $"ControlPlane denied the call: budget '{d?.BudgetId}' ({d?.Scope?.Type}={d?.Scope?.Value}) has ${d?.RemainingUsd} left ({d?.Reason}); at most {d?.MaxAffordableOutputTokens} output tokens would fit.";
}
