using System.Globalization;
using ControlPlane.Access;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Http;
using ControlPlane.Paging;
using ControlPlane.Pricing;
using ControlPlane.Reports;
using ControlPlane.Registry;
using ControlPlane.Usage;
using CsvHelper;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Usage;

/// <summary>
/// Cost queries for the dashboard, finance and scripts: <c>GET /api/costs</c> groups the hourly rollups by up to two
/// dimensions (one may be a time bucket), filters them, pages the groups and answers JSON or CSV; never a ledger scan.
/// <c>GET /api/usage</c> lists the calls behind a group (the drill-down), from the ledger, over a bounded window.
/// Both show an ingest key its own teams only.
/// </summary>
[Tags("Costs")]
public sealed class CostsApi(IUsageStore store, IRegistryStore registry, PriceCatalog prices, IOptions<ReportOptions> reportOptions, TimeProvider time, ControlPlane.Privacy.UserPseudonymizer users)
{
    private const string CostsList = "costs";
    private const string CallsList = "usage-events";
    private const string CsvType = "text/csv";

    private static readonly IReadOnlySet<string> CostsParameters = new HashSet<string>(["groupBy", "from", "to", "format", "limit", "next"], StringComparer.OrdinalIgnoreCase);
    private static readonly IReadOnlySet<string> SavingsParameters = new HashSet<string>(["from", "to"], StringComparer.OrdinalIgnoreCase);
    private static readonly IReadOnlySet<string> CallsParameters = new HashSet<string>(["from", "to", "limit", "next"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Longest window the calls list reads: it reads the ledger, so a window is a bounded scan.</summary>
    public static readonly TimeSpan MaxCallsWindow = TimeSpan.FromDays(31);

    public const string FilterDescription =
        "Filters: team, feature, model, user, environment, app, promptTemplate, costCenter, provider and tag:<name> (for example tag:project=apollo). "
        + "Repeat a parameter for several values (team=a&team=b); (none) matches calls that did not name it.";

    [Function(nameof(GetCosts))]
    [ProblemResponse(StatusCodes.Status400BadRequest, CostErrors.GroupByInvalid, CostErrors.TimeInvalid, CostErrors.RangeInvalid, CostErrors.RangeTooLong, CostErrors.FilterInvalid, CostErrors.FormatInvalid, CostErrors.TooManyCells)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("groupBy", "One or two comma-separated dimensions: team, feature, model, user, environment, app, promptTemplate, costCenter, provider, tag:<name>, and at most one time bucket (hour, day, week, month). Default feature.")]
    [QueryParameter("from", "Start of the range: a date (2026-11-01) or an RFC 3339 time, rounded down to the hour. Default 7 days before to.")]
    [QueryParameter("to", "End of the range, exclusive, rounded up to the hour. Default the end of the current hour.")]
    [QueryParameter("team", "Only these teams (repeatable). An ingest key may name only its own teams and sees only them.")]
    [QueryParameter("feature", "Only these features (repeatable).")]
    [QueryParameter("model", "Only these models (repeatable).")]
    [QueryParameter("user", "Only these users (repeatable).")]
    [QueryParameter("environment", "Only these environments (repeatable).")]
    [QueryParameter("app", "Only these apps (repeatable).")]
    [QueryParameter("promptTemplate", "Only these prompt templates (repeatable).")]
    [QueryParameter("costCenter", "Only teams of these cost centers (the teams registry's costCenter; repeatable).")]
    [QueryParameter("provider", "Only these providers (repeatable).")]
    [QueryParameter("format", "json (default) or csv; Accept: text/csv also asks for CSV.", Values = ["json", "csv"])]
    [QueryParameter("limit", "Groups per page, 1 to 1,000 (default 100; CSV: every group unless given). With two dimensions one of which is a time bucket, a page holds this many whole series.", Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Cost, tokens and requests grouped by up to two dimensions, with dense time series; JSON or CSV, answered from hourly rollups.")]
    public async Task<IResult> GetCosts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/costs")] HttpRequest request, CancellationToken cancellationToken)
    {
        var csv = WantsCsv(request, out var formatProblem);
        if (formatProblem is not null)
        {
            return formatProblem;
        }

        var (query, problem) = ReadQuery(request, CostsParameters);
        if (problem is not null)
        {
            return problem;
        }

        var (page, pageProblem) = PageQuery.Read(CostsList, request, validPosition: p => int.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (pageProblem is not null)
        {
            return pageProblem;
        }

        // CSV is an export: without ?limit= it holds every group. JSON pages by 100 unless told otherwise.
        var exportAll = csv && request.Text("limit") is null;
        var perPage = exportAll ? int.MaxValue : query!.GroupsPerPage(page!.Limit);
        if ((exportAll ? query!.BucketCount : perPage) > CostQuery.MaxCells)
        {
            return Problems.Validation([new(CostErrors.TooManyCells, "limit",
                $"One answer holds at most {CostQuery.MaxCells:N0} groups: ask for fewer groups per page, a coarser time bucket or a shorter range.")]);
        }

        var rollups = await store.GetRollupsAsync(query!.From, query.To, cancellationToken);
        var summary = query.Summarize(rollups, await CostCentersAsync(query, cancellationToken));
        if (exportAll && summary.Groups.Count > CostQuery.MaxCells)
        {
            return Problems.Validation([new(CostErrors.TooManyCells, "limit",
                $"This export has {summary.Groups.Count:N0} groups, more than {CostQuery.MaxCells:N0}: page it with ?limit= and ?next=, or narrow it.")]);
        }

        var offset = page!.After is { } after ? int.Parse(after[0], CultureInfo.InvariantCulture) : 0;
        var groups = summary.Groups.Skip(offset).Take(perPage).ToList();
        var nextOffset = offset + groups.Count;
        var next = nextOffset < summary.Groups.Count && groups.Count > 0
            ? PageQuery.Token(CostsList, [nextOffset.ToString(CultureInfo.InvariantCulture)])
            : null;
        summary = summary with { Groups = groups, TotalGroups = summary.Groups.Count, Next = next };
        return csv ? CostsCsv(summary, query, request.HttpContext.Response) : TypedResults.Ok(summary);
    }

    [Function(nameof(GetSavings))]
    [ProblemResponse(StatusCodes.Status400BadRequest, CostErrors.TimeInvalid, CostErrors.RangeInvalid, CostErrors.RangeTooLong, CostErrors.FilterInvalid)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("from", "Start of the range (date or RFC 3339). Default 7 days before to.")]
    [QueryParameter("to", "End of the range, exclusive. Default the end of the current hour.")]
    [QueryParameter("team", "Only these teams (repeatable); every filter of GET /api/costs applies here too. An ingest key sees only its own teams.")]
    [EndpointSummary("Savings the range realized (nightly batch, prompt cache) and could still realize (deferring background calls to the batch, caching, cheaper models), as the finance reports compute them.")]
    public async Task<IResult> GetSavings(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/costs/savings")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (query, problem) = ReadQuery(request, SavingsParameters);
        if (problem is not null)
        {
            return problem;
        }

        var costCenters = await CostCentersAsync(query!, cancellationToken);
        var rows = (await store.GetRollupsAsync(query!.From, query.To, cancellationToken))
            .Where(r => query.Matches(r, costCenters))
            .Select(ReportRows.From)
            .ToList();
        var savings = new ReportBuilder(reportOptions.Value).SavingsFor(rows, await prices.GetSheetAsync(cancellationToken));
        return TypedResults.Ok(new SavingsResponse(query.From, query.To, savings.RealizedUsd, savings.Realized, savings.AvailableUsd, savings.Available));
    }

    [Function(nameof(ListUsageEvents))]
    [ProblemResponse(StatusCodes.Status400BadRequest, CostErrors.TimeInvalid, CostErrors.RangeInvalid, CostErrors.RangeTooLong, CostErrors.FilterInvalid)]
    [ProblemResponse(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden)]
    [Authorize(Policies.AnyKey)]
    [QueryParameter("from", "Start of the window: a date or an RFC 3339 time, rounded down to the hour. Default one day before to.")]
    [QueryParameter("to", "End of the window, exclusive, rounded up to the hour; at most 31 days after from. Default the end of the current hour.")]
    [QueryParameter("team", "Only these teams (repeatable). An ingest key may name only its own teams and sees only them.")]
    [QueryParameter("feature", "Only these features (repeatable); every filter of GET /api/costs applies here too, tag:<name> included.")]
    [QueryParameter("model", "Only these models (repeatable).")]
    [QueryParameter("user", "Only these users (repeatable).")]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("The calls behind a cost group, newest first: the dashboard's drill-down. Reads the ledger over a window of at most 31 days.")]
    public async Task<IResult> ListUsageEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/usage")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (query, problem) = ReadQuery(request, CallsParameters, defaultRange: TimeSpan.FromDays(1));
        if (problem is not null)
        {
            return problem;
        }

        if (query!.To - query.From > MaxCallsWindow)
        {
            return Problems.Validation([new(CostErrors.RangeTooLong, "from", $"The calls list reads at most {MaxCallsWindow.TotalDays} days at a time.")]);
        }

        var (page, pageProblem) = PageQuery.Read(CallsList, request, positionParts: 3,
            p => long.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (pageProblem is not null)
        {
            return pageProblem;
        }

        var costCenters = await CostCentersAsync(query, cancellationToken);
        var matching = new List<PricedUsageEvent>();
        await foreach (var priced in store.ReadLedgerAsync(query.From, query.To, cancellationToken))
        {
            // The same test the cost query applies to a rollup row, applied to the call's own row.
            if (query.Matches(UsageRollup.Aggregate([priced])[0], costCenters))
            {
                matching.Add(priced);
            }
        }

        var ordered = matching
            .OrderByDescending(p => p.Event.Timestamp)
            .ThenBy(p => p.Event.Team, StringComparer.Ordinal)
            .ThenBy(p => p.Event.Id, StringComparer.Ordinal);
        var slice = page!.After is { } after
            ? ordered.SkipWhile(p => !IsAfter(p, after))
            : ordered;
        var items = slice.Take(page.Limit + 1).ToList();
        var more = items.Count > page.Limit;
        items = [.. items.Take(page.Limit)];
        var next = more
            ? PageQuery.Token(CallsList, [items[^1].Event.Timestamp.UtcTicks.ToString(CultureInfo.InvariantCulture), items[^1].Event.Team, items[^1].Event.Id])
            : null;
        return TypedResults.Ok(new UsageEventList(query.From, query.To, [.. items.Select(UsageEventResponse.From)], next));

        static bool IsAfter(PricedUsageEvent p, IReadOnlyList<string> position)
        {
            var ticks = long.Parse(position[0], CultureInfo.InvariantCulture);
            var at = p.Event.Timestamp.UtcTicks;
            return at < ticks
                || (at == ticks && (string.CompareOrdinal(p.Event.Team, position[1]) > 0
                    || (p.Event.Team == position[1] && string.CompareOrdinal(p.Event.Id, position[2]) > 0)));
        }
    }

    /// <summary>The query and the caller's team limits; a filter naming another team is refused like any other team.</summary>
    private (CostQuery? Query, IResult? Problem) ReadQuery(HttpRequest request, IReadOnlySet<string> parameters, TimeSpan? defaultRange = null)
    {
        // Every other parameter must be a filter: a misspelt one (tem=search) is a 400, never a silently wider answer.
        var filters = request.Query
            .Where(q => !parameters.Contains(q.Key))
            .Select(q => KeyValuePair.Create(q.Key, (IReadOnlyList<string>)[.. q.Value.Where(v => v is not null).Select(v => v!)]));
        var parsed = CostQuery.Parse(request.Text("groupBy"), request.Text("from"), request.Text("to"), filters, time.GetUtcNow(), defaultRange, users);
        if (!parsed.IsValid)
        {
            return (null, Problems.Validation(parsed.Errors));
        }

        var query = parsed.Value!.VisibleTo(request.HttpContext.User.GetCaller(), out var foreign);
        return query is null
            ? (null, Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.TeamForbidden, "This key may read only its own teams' costs.", string.Join(", ", foreign)))
            : (query, null);
    }

    private async Task<IReadOnlyDictionary<string, string>> CostCentersAsync(CostQuery query, CancellationToken cancellationToken) =>
        query.NeedsCostCenters ? await registry.CostCentersAsync(cancellationToken) : new Dictionary<string, string>();

    private static bool WantsCsv(HttpRequest request, out IResult? problem)
    {
        problem = null;
        switch (request.Text("format")?.ToLowerInvariant())
        {
            case "csv":
                return true;
            case "json":
                return false;
            case null:
                return request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(CsvType, StringComparison.OrdinalIgnoreCase));
            default:
                problem = Problems.Validation([new(CostErrors.FormatInvalid, "format", "format must be json or csv.")]);
                return false;
        }
    }

    /// <summary>One line per group: the group's values, then its totals. Ranges and paging go in headers.</summary>
    private static IResult CostsCsv(CostSummary summary, CostQuery query, HttpResponse response)
    {
        using var buffer = new MemoryStream();
        using (var writer = CsvWriter.Create(buffer, CsvWriterOptions.Default, leaveOpen: true))
        {
            writer.WriteHeader([.. query.GroupBy.Select(a => a.Name), .. CsvColumns]);
            foreach (var g in summary.Groups)
            {
                writer.WriteRecord([.. g.Keys.Select(SafeText), .. CsvValues(g)]);
            }

            writer.Flush();
        }

        var name = $"costs-{query.GroupByName.Replace(',', '-').Replace(':', '-')}-{query.From:yyyyMMddHH}-{query.To:yyyyMMddHH}.csv";
        response.Headers.ContentDisposition = $"attachment; filename=\"{new string([.. name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')])}\"";
        response.Headers["X-Total-Groups"] = summary.TotalGroups.ToString(CultureInfo.InvariantCulture);
        if (summary.Next is not null)
        {
            response.Headers["X-Next-Page"] = summary.Next;
        }

        return Results.Bytes(buffer.ToArray(), $"{CsvType}; charset=utf-8");
    }

    private static readonly string[] CsvColumns =
    [
        "costUsd", "requests", "unpricedRequests", "failedRequests", "inputTokens", "cachedInputTokens", "cacheWriteTokens",
        "outputTokens", "reasoningTokens", "uncachedInputUsd", "cachedInputUsd", "cacheWriteUsd", "outputUsd", "reasoningUsd", "units",
    ];

    private static IEnumerable<string> CsvValues(CostGroup g) =>
    [
        Amount(g.CostUsd), Count(g.Requests), Count(g.UnpricedRequests), Count(g.FailedRequests), Count(g.InputTokens), Count(g.CachedInputTokens),
        Count(g.CacheWriteTokens), Count(g.OutputTokens), Count(g.ReasoningTokens), Amount(g.UncachedInputUsd), Amount(g.CachedInputUsd),
        Amount(g.CacheWriteUsd), Amount(g.OutputUsd), Amount(g.ReasoningUsd), Amount(g.Units),
    ];

    private static string Amount(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A spreadsheet runs a cell that starts with =, +, -, @ or a tab as a formula; names and tags are the caller's
    /// text, so such a value is written with a leading apostrophe (OWASP's advice for CSV injection).
    /// </summary>
    private static string SafeText(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
}

/// <summary><c>GET /api/costs/savings</c> answer: realized and available savings, each line with how it was computed.</summary>
public sealed record SavingsResponse(DateTimeOffset From, DateTimeOffset To, decimal RealizedUsd, IReadOnlyList<SavingLine> Realized, decimal AvailableUsd, IReadOnlyList<SavingLine> Available);

/// <summary><c>GET /api/usage</c> answer: the calls in the window, newest first.</summary>
public sealed record UsageEventList(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<UsageEventResponse> Items, string? Next);
