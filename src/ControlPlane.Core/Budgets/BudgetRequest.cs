using System.Text.Json.Serialization;
using ControlPlane.Privacy;
using ControlPlane.Validation;

namespace ControlPlane.Budgets;

/// <summary><c>PUT /api/budgets/{id}</c> body, before validation.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class BudgetRequest
{
    public ScopeRequest? Scope { get; set; }
    public string? Period { get; set; }
    public decimal? LimitUsd { get; set; }
    public string? Mode { get; set; }
    public ThresholdsRequest? Thresholds { get; set; }
    public bool? FailClosed { get; set; }
    public bool? DenyUnpriced { get; set; }

    public sealed class ScopeRequest
    {
        public string? Type { get; set; }
        public string? Value { get; set; }

        /// <summary>
        /// The scope, or null with the problems added to <paramref name="errors"/>. A <c>user</c> scope names the
        /// user as a person would (a raw id, or a pseudonym copied from an answer): with a key configured it becomes
        /// the pseudonym the user's calls are recorded under (<see cref="UserPseudonymizer.Lookup"/>).
        /// </summary>
        public static BudgetScope? Validate(ScopeRequest? scope, List<ValidationError> errors, UserPseudonymizer? users = null)
        {
            if (scope is null)
            {
                errors.Add(new(BudgetErrors.ScopeRequired, "scope", "scope {\"type\", \"value\"} is required."));
                return null;
            }

            if (!EnumNames.TryParse<BudgetScopeType>(scope.Type, out var type))
            {
                errors.Add(new(BudgetErrors.ScopeTypeInvalid, "scope.type", $"scope.type must be one of {EnumNames.Allowed<BudgetScopeType>()}."));
                return null;
            }

            if (string.IsNullOrWhiteSpace(scope.Value) || scope.Value.Length > 256)
            {
                errors.Add(new(BudgetErrors.ScopeValueInvalid, "scope.value", "scope.value is 1 to 256 characters."));
                return null;
            }

            // Calls are recorded under canonical model names (trimmed; the sheet's spelling), so a model scope is
            // trimmed too: "gpt-4o " would otherwise cover no call at all.
            return new BudgetScope(type, type switch
            {
                BudgetScopeType.Model => scope.Value.Trim(),
                BudgetScopeType.User => (users ?? UserPseudonymizer.None).Lookup(scope.Value)!,
                _ => scope.Value,
            });
        }
    }

    public sealed class ThresholdsRequest
    {
        public decimal? Warn { get; set; }
        public decimal? Review { get; set; }
        public decimal? Block { get; set; }
    }

    public const int MaxIdLength = 128;
    public const decimal MaxLimitUsd = 1_000_000_000m;

    /// <summary>Validates and builds the budget, reporting every problem at once; <paramref name="users"/> as
    /// <see cref="ScopeRequest.Validate"/>.</summary>
    public ValidationResult<Budget?> Validate(string id, UserPseudonymizer? users = null)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add(new(BudgetErrors.IdInvalid, "id", $"Budget ids are 1 to {MaxIdLength} letters, digits, '-', '_' or '.'."));
        }

        var scope = ScopeRequest.Validate(Scope, errors, users);
        if (!EnumNames.TryParse<BudgetPeriod>(Period, out var period))
        {
            errors.Add(new(BudgetErrors.PeriodInvalid, "period", $"period must be one of {EnumNames.Allowed<BudgetPeriod>()}."));
        }

        if (LimitUsd is not { } limit || limit <= 0 || limit > MaxLimitUsd)
        {
            errors.Add(new(BudgetErrors.LimitInvalid, "limitUsd", $"limitUsd must be above 0 and at most {MaxLimitUsd:N0}."));
        }

        var mode = BudgetMode.Hard;
        if (Mode is not null && !EnumNames.TryParse(Mode, out mode))
        {
            errors.Add(new(BudgetErrors.ModeInvalid, "mode", $"mode must be one of {EnumNames.Allowed<BudgetMode>()}."));
        }

        var defaults = new BudgetThresholds();
        var thresholds = new BudgetThresholds(Thresholds?.Warn ?? defaults.Warn, Thresholds?.Review ?? defaults.Review, Thresholds?.Block ?? defaults.Block);
        if (thresholds.Warn <= 0 || thresholds.Warn > thresholds.Review || thresholds.Review > thresholds.Block || thresholds.Block > 10)
        {
            errors.Add(new(BudgetErrors.ThresholdsInvalid, "thresholds", "Thresholds must satisfy 0 < warn ≤ review ≤ block ≤ 10."));
        }

        if (errors.Count > 0)
        {
            return new(null, errors);
        }

        return new(new Budget
        {
            Id = id,
            Scope = scope!,
            Period = period,
            LimitUsd = LimitUsd!.Value,
            Mode = mode,
            Thresholds = thresholds,
            FailClosed = FailClosed ?? mode == BudgetMode.Hard,
            DenyUnpriced = DenyUnpriced ?? true,
        }, errors);
    }

}
