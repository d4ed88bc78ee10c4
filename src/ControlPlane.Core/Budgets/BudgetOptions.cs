using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Budgets;

/// <summary>Section <c>ControlPlane:Budgets</c>.</summary>
public sealed record BudgetOptions
{
    public const string SectionName = "ControlPlane:Budgets";

    /// <summary>How long an unsettled reservation holds its money before it is released. Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "7.00:00:00")]
    public TimeSpan ReservationTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an instance trusts its copy of the budget definitions. Default 5 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DefinitionCacheDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest <c>maxOutputTokens</c> an authorization may ask for. Default 10^6.</summary>
    [Range(1, 1_000_000_000)]
    public long MaxOutputTokens { get; init; } = 1_000_000;
}
