using System.Globalization;
using ControlPlane.Registry;
using ControlPlane.Usage;

namespace ControlPlane.Audits;

/// <summary>Synthetic usage histories for the rule tests: rollup rows built by hand, at fixed times.</summary>
internal static class History
{
    /// <summary>Every audit test judges the window ending here (a Monday, 00:00 UTC).</summary>
    public static readonly DateTimeOffset End = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    public static UsageRollup Row(DateTimeOffset hour, string? user, decimal cost, long requests = 1, long tokens = 1000, decimal units = 0m, string feature = "summarize") => new()
    {
        Hour = UsageRollup.HourOf(hour), Team = "docs", Feature = feature, Model = "gpt-4o", User = user, Environment = "prod",
        Requests = requests, InputTokens = tokens, OutputTokens = 0, CostUsd = cost, Units = units,
    };

    public static FeatureUsageHistory Of(IEnumerable<UsageRollup> rows)
    {
        var history = new FeatureUsageHistory("docs", "summarize");
        foreach (var row in rows)
        {
            history.Add(row);
        }

        return history;
    }

    /// <summary>
    /// One row per user per day at 09:00 for each of the <paramref name="days"/> days from <paramref name="from"/>:
    /// <paramref name="usersOnDay"/> distinct users, the day's cost and tokens spread over them.
    /// </summary>
    public static IEnumerable<UsageRollup> Daily(DateTimeOffset from, int days, Func<int, int> usersOnDay, Func<int, decimal> costOnDay, Func<int, long>? tokensOnDay = null)
    {
        for (var d = 0; d < days; d++)
        {
            var users = usersOnDay(d);
            var cost = costOnDay(d);
            var tokens = tokensOnDay?.Invoke(d) ?? 100_000;
            if (users == 0)
            {
                yield return Row(from.AddDays(d).AddHours(9), null, cost, requests: 10, tokens: tokens);
                continue;
            }

            for (var u = 0; u < users; u++)
            {
                yield return Row(from.AddDays(d).AddHours(9), "user-" + u.ToString(CultureInfo.InvariantCulture), cost / users, requests: 10, tokens: tokens / users);
            }
        }
    }

    public static FeatureProfile Profile(long? tokensPerCall = null, decimal? callsPerSession = null, decimal? valuePerUnit = null) =>
        new("summarize", "docs", tokensPerCall, callsPerSession, valuePerUnit is null ? null : "summary", valuePerUnit, End);
}
