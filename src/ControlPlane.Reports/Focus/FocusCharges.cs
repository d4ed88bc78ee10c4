namespace ControlPlane.Reports.Focus;

/// <summary>
/// Turns report rows into FOCUS charges: one per UTC day × provider and model × attribution × token kind (a GPU
/// pool's row is one charge of instance hours). Each row's cost is already split by token kind, so the charges
/// carry exactly the row's cost and a period's charges add up to its total.
/// </summary>
public static class FocusCharges
{
    public static IEnumerable<FocusCharge> From(IEnumerable<ReportRow> rows, Func<string, string?> costCenterOf)
    {
        var days = rows.GroupBy(r => (
            Day: new DateTimeOffset(r.Hour.UtcDateTime.Date, TimeSpan.Zero), r.Provider, r.Model, r.Team, r.Feature, r.Environment, r.App, r.Batch))
            .OrderBy(g => g.Key.Day).ThenBy(g => g.Key.Team, StringComparer.Ordinal).ThenBy(g => g.Key.Feature, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Provider, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Environment, StringComparer.Ordinal).ThenBy(g => g.Key.App, StringComparer.Ordinal).ThenBy(g => g.Key.Batch);
        foreach (var g in days)
        {
            var k = g.Key;
            var unpriced = g.Sum(r => r.Requests) > 0 && g.Sum(r => r.UnpricedRequests) == g.Sum(r => r.Requests);
            FocusCharge Charge(ChargeKind kind, decimal quantity, decimal cost) => new(
                k.Day, k.Day.AddDays(1), k.Provider, k.Model, kind, quantity, cost, k.Team, k.Feature, k.Environment, k.App, costCenterOf(k.Team), k.Batch, unpriced);

            if (g.First().IsGpu)
            {
                yield return Charge(ChargeKind.GpuInstanceHours, g.Sum(r => r.Units), g.Sum(r => r.CostUsd));
                continue;
            }

            var parts = new (ChargeKind Kind, decimal Quantity, decimal Cost)[]
            {
                (ChargeKind.Input, g.Sum(r => r.Tokens.InputTokens - r.Tokens.CachedInputTokens - r.Tokens.CacheWriteTokens), g.Sum(r => r.UncachedInputUsd)),
                (ChargeKind.CachedInput, g.Sum(r => r.Tokens.CachedInputTokens), g.Sum(r => r.CachedInputUsd)),
                (ChargeKind.CacheWrite, g.Sum(r => r.Tokens.CacheWriteTokens), g.Sum(r => r.CacheWriteUsd)),
                (ChargeKind.Output, g.Sum(r => r.Tokens.OutputTokens - r.Tokens.ReasoningTokens), g.Sum(r => r.OutputUsd)),
                (ChargeKind.Reasoning, g.Sum(r => r.Tokens.ReasoningTokens), g.Sum(r => r.ReasoningUsd)),
            };
            foreach (var (kind, quantity, cost) in parts)
            {
                if (quantity != 0 || cost != 0)
                {
                    yield return Charge(kind, quantity, cost);
                }
            }

            // Rows recorded before costs were split by kind: whatever the kinds leave over, so the file still adds up.
            var rest = g.Sum(r => r.CostUsd) - parts.Sum(p => p.Cost);
            if (rest != 0)
            {
                yield return Charge(ChargeKind.Unsplit, 0, rest);
            }
        }
    }
}
