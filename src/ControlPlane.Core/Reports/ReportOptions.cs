using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Reports;

/// <summary>Section <c>ControlPlane:Reports</c>: schedules, the billing account FOCUS names, and how savings are estimated.</summary>
public sealed class ReportOptions
{
    public const string SectionName = "ControlPlane:Reports";

    /// <summary>FOCUS <c>BillingAccountId</c>.</summary>
    [Required]
    public string BillingAccountId { get; set; } = "controlplane";

    /// <summary>FOCUS <c>BillingAccountName</c>.</summary>
    [Required]
    public string BillingAccountName { get; set; } = "ControlPlane";

    /// <summary>When the weekly report runs (NCRONTAB with seconds, UTC): Mondays 06:00.</summary>
    public string WeeklySchedule { get; set; } = "0 0 6 * * 1";

    /// <summary>When the monthly report runs: the 1st, 06:00 UTC.</summary>
    public string MonthlySchedule { get; set; } = "0 0 6 1 * *";

    /// <summary>
    /// A cheaper model of the same family for each model, for "calls a cheaper model could have served". The saving
    /// shown is what the same tokens would have cost on it: an upper bound, since not every call could move.
    /// </summary>
    public Dictionary<string, string> CheaperModels { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-5"] = "gpt-5-mini",
        ["gpt-5-mini"] = "gpt-5-nano",
        ["gpt-4.1"] = "gpt-4.1-mini",
        ["gpt-4.1-mini"] = "gpt-4.1-nano",
        ["gpt-4o"] = "gpt-4o-mini",
        ["o3"] = "o4-mini",
        ["o1"] = "o3-mini",
        ["claude-opus-4-5"] = "claude-sonnet-4-5",
        ["claude-opus-4-1"] = "claude-sonnet-4-5",
        ["claude-sonnet-4-5"] = "claude-haiku-4-5",
        ["gemini-2.5-pro"] = "gemini-2.5-flash",
        ["gemini-2.5-flash"] = "gemini-2.5-flash-lite",
    };

    /// <summary>Share of a long, mostly uncached prompt assumed cacheable when estimating what caching would save.</summary>
    [Range(0.0, 1.0)]
    public double CacheableShare { get; set; } = 0.5;

    /// <summary>Average prompt length (tokens) from which caching is worth proposing (providers cache from 1,024 tokens).</summary>
    [Range(0, 10_000_000)]
    public long MinPromptTokensForCaching { get; set; } = 1024;

    /// <summary>Cached share of input below which a long-prompt feature counts as not using the cache.</summary>
    [Range(0.0, 1.0)]
    public double CachedShareBelow { get; set; } = 0.5;

    /// <summary>Movers listed per report.</summary>
    [Range(1, 100)]
    public int TopMovers { get; set; } = 10;
}
