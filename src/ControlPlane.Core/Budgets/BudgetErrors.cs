namespace ControlPlane.Budgets;

/// <summary>Stable error codes for budgets, authorization and kill switches.</summary>
public static class BudgetErrors
{
    public const string IdInvalid = "budget_id_invalid";
    public const string ScopeRequired = "budget_scope_required";
    public const string ScopeTypeInvalid = "budget_scope_type_invalid";
    public const string ScopeValueInvalid = "budget_scope_value_invalid";
    public const string PeriodInvalid = "budget_period_invalid";
    public const string LimitInvalid = "budget_limit_invalid";
    public const string ModeInvalid = "budget_mode_invalid";
    public const string ThresholdsInvalid = "budget_thresholds_invalid";
    public const string NotFound = "budget_not_found";
    public const string ReservationNotFound = "reservation_not_found";
    public const string ReservationSettled = "reservation_already_settled";
    public const string MaxOutputTokensRequired = "authorize_max_output_tokens_required";
    public const string ReservationOwned = "reservation_owned_by_batch_request";
}
