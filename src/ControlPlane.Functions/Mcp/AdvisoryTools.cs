using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using ControlPlane.Access;
using ControlPlane.Audits;
using ControlPlane.Budgets;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Audits;
using ControlPlane.Functions.Budgets;
using ControlPlane.Functions.Http;
using ControlPlane.Paging;
using ControlPlane.Registry;
using ControlPlane.Reports;
using ControlPlane.Usage;
using ControlPlane.Validation;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace ControlPlane.Functions.Mcp;

/// <summary>
/// The read tools: what the HTTP API answers, for an agent. Each takes the caller's key from the request and keeps its
/// limits: an ingest key sees only its own teams' costs and findings, budgets need a finance or admin key.
/// </summary>
[McpServerToolType]
public sealed class AdvisoryTools(
    IUsageStore usage, IRegistryStore registry, BudgetService budgets, IBudgetStore budgetStore, BudgetOpeningService opening,
    FindingService findings, IOptions<ReportOptions> reportOptions, TimeProvider time, ControlPlane.Privacy.UserPseudonymizer users)
{
    /// <summary>The most days a top-movers window may span: two windows stay within one cost query's range.</summary>
    public const int MaxMoverDays = 180;

    [McpServerTool(Name = "get_costs", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Cost, tokens and requests grouped by up to two dimensions over a time range, answered like GET /api/costs (same totals, limits and error codes). An ingest key sees only its own teams.")]
    public async Task<JsonElement> GetCosts(
        ClaimsPrincipal user,
        [Description("One or two comma-separated dimensions: team, feature, model, user, environment, app, promptTemplate, costCenter, provider, tag:<name>, and at most one time bucket (hour, day, week, month). Default feature.")] string? groupBy = null,
        [Description("Start of the range: a date (2026-11-01) or an RFC 3339 time, rounded down to the hour. Default 7 days before to.")] string? from = null,
        [Description("End of the range, exclusive, rounded up to the hour. Default the end of the current hour.")] string? to = null,
        [Description("Filters by dimension: {\"team\": [\"search\"], \"model\": [\"gpt-4o\"], \"tag:project\": [\"apollo\"]}. Keys: team, feature, model, user, environment, app, promptTemplate, costCenter, provider, tag:<name>; (none) matches calls that did not name it.")] Dictionary<string, string[]>? filters = null,
        [Description("Groups to return, 1 to 1,000 (default 100), highest cost first (time series in time order). totalGroups says how many there are.")] int limit = PageRequest.DefaultLimit,
        CancellationToken cancellationToken = default)
    {
        CheckLimit(limit);
        var parsed = CostQuery.Parse(groupBy, from, to,
            (filters ?? []).Select(f => KeyValuePair.Create(f.Key, (IReadOnlyList<string>)(f.Value ?? []))), time.GetUtcNow(), users: users);
        if (!parsed.IsValid)
        {
            throw McpToolErrors.Of(parsed.Errors);
        }

        var query = parsed.Value!.VisibleTo(user.GetCaller(), out var foreign)
            ?? throw McpToolErrors.Of(AccessErrors.TeamForbidden, $"This key may read only its own teams' costs, not {string.Join(", ", foreign)}.");
        var perPage = query.GroupsPerPage(limit);
        if (perPage > CostQuery.MaxCells)
        {
            throw McpToolErrors.Of(CostErrors.TooManyCells,
                $"One answer holds at most {CostQuery.MaxCells:N0} groups: ask for fewer groups, a coarser time bucket or a shorter range.");
        }

        var costCenters = query.NeedsCostCenters ? await registry.CostCentersAsync(cancellationToken) : new Dictionary<string, string>();
        var summary = query.Summarize(await usage.GetRollupsAsync(query.From, query.To, cancellationToken), costCenters);
        return McpJson.Answer(summary with { Groups = [.. summary.Groups.Take(perPage)], TotalGroups = summary.Groups.Count });
    }

    [McpServerTool(Name = "get_budget_status", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Budgets with their current period: limit, spent, reserved (held by authorized calls not yet settled), remaining, state and kill switch (armed, tripped, isolated). Needs a finance or admin key, like GET /api/budgets.")]
    public async Task<JsonElement> GetBudgetStatus(
        ClaimsPrincipal user,
        [Description("Only this budget. Default every budget, in id order.")] string? budgetId = null,
        [Description("Only budgets of this scope type: org, team, feature, user, environment, model or app.")] string? scopeType = null,
        [Description("Only budgets of this scope value (a team's name, say).")] string? scopeValue = null,
        [Description("Budgets to return, 1 to 1,000 (default 100).")] int limit = PageRequest.DefaultLimit,
        CancellationToken cancellationToken = default)
    {
        CheckLimit(limit);
        if (user.GetCaller().Role == ApiRole.Ingest)
        {
            throw McpToolErrors.Of(AccessErrors.RoleForbidden, "Budgets are read with a finance or admin key.");
        }

        BudgetScopeType? type = null;
        if (scopeType is not null)
        {
            type = EnumNames.TryParse<BudgetScopeType>(scopeType, out var parsed)
                ? parsed
                : throw McpToolErrors.Of(BudgetErrors.ScopeTypeInvalid, $"scopeType must be one of {EnumNames.Allowed<BudgetScopeType>()}.");
        }

        IEnumerable<Budget> selected;
        if (budgetId is not null)
        {
            selected = await budgetStore.GetAsync(budgetId, cancellationToken) is { } one
                ? [one]
                : throw McpToolErrors.Of(BudgetErrors.NotFound, $"Budget '{budgetId}' was not found.");
        }
        else
        {
            var (all, _) = await budgets.GetDefinitionsAsync(cancellationToken);
            selected = all;
        }

        var matching = selected
            .Where(b => (type is null || b.Scope.Type == type)
                && (scopeValue is null || b.Scope.Value == (b.Scope.Type == BudgetScopeType.User ? users.Lookup(scopeValue) : scopeValue)))
            .OrderBy(b => b.Id, StringComparer.Ordinal)
            .ToList();
        var statuses = new List<BudgetStatusResponse>();
        foreach (var budget in matching.Take(limit))
        {
            statuses.Add(BudgetStatusResponse.From(await budgets.StatusAsync(budget, cancellationToken), await opening.GetAsync(budget, cancellationToken)));
        }

        return McpJson.Answer(new BudgetStatusList(statuses, matching.Count));
    }

    [McpServerTool(Name = "get_forecast", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Month-end forecast for the current UTC month, as the finance reports compute it: spend so far plus the average of the last complete days (up to seven) for each day left. An ingest key forecasts its own teams only.")]
    public async Task<JsonElement> GetForecast(
        ClaimsPrincipal user,
        [Description("Only this team's spend. Default every team the key may see.")] string? team = null,
        CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var monthStart = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var rows = await VisibleRowsAsync(user, team, monthStart.AddDays(-7), UsageRollup.HourOf(now).AddHours(1), cancellationToken);
        return McpJson.Answer(new ForecastAnswer(team, ReportBuilder.ForecastFor(rows, now)));
    }

    [McpServerTool(Name = "get_top_movers", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Teams, features and models whose cost changed most between the last N days and the N days before, largest change first (up or down), as the finance reports rank them. An ingest key compares its own teams only.")]
    public async Task<JsonElement> GetTopMovers(
        ClaimsPrincipal user,
        [Description("Days in each window, 1 to 180 (default 7). The current window ends at the end of the current hour.")] int days = 7,
        [Description("Only this team's spend. Default every team the key may see.")] string? team = null,
        CancellationToken cancellationToken = default)
    {
        if (days is < 1 or > MaxMoverDays)
        {
            throw McpToolErrors.Of(days < 1 ? CostErrors.RangeInvalid : CostErrors.RangeTooLong, $"days must be 1 to {MaxMoverDays}.");
        }

        var end = UsageRollup.HourOf(time.GetUtcNow()).AddHours(1);
        var start = end.AddDays(-days);
        var rows = await VisibleRowsAsync(user, team, start.AddDays(-days), end, cancellationToken);
        var movers = new ReportBuilder(reportOptions.Value).TopMovers(
            [.. rows.Where(r => r.Hour >= start)], [.. rows.Where(r => r.Hour < start)]);
        return McpJson.Answer(new MoversAnswer(start.AddDays(-days), start, start, end, movers));
    }

    [McpServerTool(Name = "list_open_findings", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Findings the audits raised (zombie features, shadow AI, spend anomalies, agent loops, negative unit economics) and proposals awaiting an admin, with evidence, recommendation and proposed action. Open ones by default. An ingest key sees its own teams' findings only.")]
    public async Task<JsonElement> ListOpenFindings(
        ClaimsPrincipal user,
        [Description("Only findings of this kind, e.g. zombie-feature, spend-anomaly-day, proposed-budget.")] string? kind = null,
        [Description("open (default), acknowledged, resolved or dismissed.")] string state = "open",
        [Description("Only findings about this team's work.")] string? team = null,
        [Description("Findings to return, 1 to 1,000 (default 100), in id order.")] int limit = PageRequest.DefaultLimit,
        CancellationToken cancellationToken = default)
    {
        CheckLimit(limit);
        var errors = new List<ValidationError>();
        if (kind is not null && !FindingKinds.IsKnown(kind))
        {
            errors.Add(new(FindingErrors.KindInvalid, "kind", $"kind must be one of {string.Join(", ", FindingKinds.All)}."));
        }

        if (!EnumNames.TryParse<FindingState>(state, out var parsedState))
        {
            errors.Add(new(FindingErrors.StateInvalid, "state", $"state must be one of {EnumNames.Allowed<FindingState>()}."));
        }

        if (errors.Count > 0)
        {
            throw McpToolErrors.Of(errors);
        }

        var caller = user.GetCaller();
        if (caller.Role == ApiRole.Ingest && team is not null && !caller.MayActForTeam(team))
        {
            throw McpToolErrors.Of(AccessErrors.TeamForbidden, $"Name one of this key's teams: {string.Join(", ", caller.Teams)}.");
        }

        var filter = new FindingFilter(kind, parsedState, team, caller.Role == ApiRole.Ingest ? caller.Teams : null);
        var page = await findings.ListAsync(filter, new PageRequest(limit), cancellationToken);
        return McpJson.Answer(new FindingList(page.Items));
    }

    /// <summary>Rollup rows of the range as report rows, only the teams the caller may read (and only <paramref name="team"/> if named).</summary>
    private async Task<List<ReportRow>> VisibleRowsAsync(ClaimsPrincipal user, string? team, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var caller = user.GetCaller();
        if (team is not null && !caller.MayReadTeam(team))
        {
            throw McpToolErrors.Of(AccessErrors.TeamForbidden, $"This key may read only its own teams' costs, not {team}.");
        }

        return
        [
            .. (await usage.GetRollupsAsync(from, to, cancellationToken))
                .Where(r => caller.MayReadTeam(r.Team) && (team is null || r.Team == team))
                .Select(ReportRows.From),
        ];
    }

    private static void CheckLimit(int limit)
    {
        if (limit is < 1 or > PageRequest.MaxLimit)
        {
            throw McpToolErrors.Of(PageQuery.LimitInvalid, $"limit must be 1 to {PageRequest.MaxLimit:N0}.");
        }
    }
}

/// <summary><c>get_budget_status</c>'s answer: the budgets asked for, and how many matched in all.</summary>
public sealed record BudgetStatusList(IReadOnlyList<BudgetStatusResponse> Budgets, int TotalBudgets);

/// <summary><c>get_forecast</c>'s answer; <paramref name="Team"/> when it was one team's.</summary>
public sealed record ForecastAnswer(string? Team, Forecast Forecast);

/// <summary><c>get_top_movers</c>'s answer: the two windows compared and the movers.</summary>
public sealed record MoversAnswer(DateTimeOffset PreviousFrom, DateTimeOffset PreviousTo, DateTimeOffset CurrentFrom, DateTimeOffset CurrentTo, IReadOnlyList<Mover> Movers);
