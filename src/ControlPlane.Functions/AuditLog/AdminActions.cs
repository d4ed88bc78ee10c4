using System.Text.Json;
using ControlPlane.Access;
using ControlPlane.AuditLog;
using ControlPlane.Budgets;
using ControlPlane.Capacity;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.Budgets;
using ControlPlane.Functions.Http;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Functions.Pricing;
using ControlPlane.Pricing;
using ControlPlane.Validation;

namespace ControlPlane.Functions.AuditLog;

/// <summary>
/// The audited admin endpoints: what each changes and how its state is read. Snapshots are the API's own shapes
/// without secrets (a key is its summary, never its hash).
/// </summary>
public static partial class AdminActions
{
    /// <summary>The largest body read to find a target (the price sheet's limit); a larger one is the handler's to refuse.</summary>
    private const int MaxPeekBytes = 1024 * 1024;

    public static AdminAction BudgetUpsert { get; } = new(AdminActionKind.BudgetUpsert, RouteValue("id"), BudgetAsync);
    public static AdminAction BudgetDelete { get; } = new(AdminActionKind.BudgetDelete, RouteValue("id"), BudgetAsync);
    public static AdminAction PriceUpsert { get; } = new(AdminActionKind.PriceUpsert, PriceKeysAsync, PriceOverridesAsync);

    public static AdminAction KeyIssue { get; } = new(AdminActionKind.KeyIssue, (_, _) => ValueTask.FromResult<AuditTarget?>(null), KeyAsync,
        answer => answer is IssuedKeyResponse issued ? new AuditTarget(issued.Id) : null);

    public static AdminAction KeyRevoke { get; } = new(AdminActionKind.KeyRevoke, RouteValue("id"), KeyAsync);
    public static AdminAction KillSwitchIsolate { get; } = new(AdminActionKind.KillSwitchIsolate, ScopeAsync, ScopeStateAsync);
    public static AdminAction KillSwitchReset { get; } = new(AdminActionKind.KillSwitchReset, ScopeAsync, ScopeStateAsync);
    public static AdminAction GpuPoolUpsert { get; } = new(AdminActionKind.GpuPoolUpsert, RouteValue("pool"), GpuPoolAsync);

    /// <summary>Without an <c>instanceId</c> in the body the run's id is known only from the answer.</summary>
    public static AdminAction OrchestrationStart { get; } = new(AdminActionKind.OrchestrationStart, StartInstanceIdAsync, OrchestrationAsync,
        answer => answer is OrchestrationView view ? new AuditTarget(view.Id) : null);

    public static AdminAction OrchestrationTerminate { get; } = new(AdminActionKind.OrchestrationTerminate, RouteValue("id"), OrchestrationAsync);
    public static AdminAction OrchestrationRetry { get; } = new(AdminActionKind.OrchestrationRetry, RouteValue("id"), OrchestrationAsync);

    public static AdminAction TeamUpsert { get; } = new(AdminActionKind.TeamUpsert, RouteValue("team"),
        async (http, target, ct) => await Service<ControlPlane.Registry.IRegistryStore>(http).GetTeamAsync(target.Id, ct));

    public static AdminAction FeatureUpsert { get; } = new(AdminActionKind.FeatureUpsert, RouteValue("feature"),
        async (http, target, ct) => await Service<ControlPlane.Registry.IRegistryStore>(http).GetFeatureAsync(target.Id, ct));

    public static AdminAction FindingAcknowledge { get; } = new(new AdminActionKind("finding.acknowledge"), RouteValue("id"), FindingAsync);
    public static AdminAction FindingDismiss { get; } = new(new AdminActionKind("finding.dismiss"), RouteValue("id"), FindingAsync);
    public static AdminAction FindingResolve { get; } = new(new AdminActionKind("finding.resolve"), RouteValue("id"), FindingAsync);
    public static AdminAction FindingApply { get; } = new(new AdminActionKind("finding.apply"), RouteValue("id"), FindingAsync);

    /// <summary>The report's record after the run (its id comes from the body's kind and period).</summary>
    public static AdminAction ReportRun { get; } = new(new AdminActionKind("report.run"), ReportTargetAsync,
        async (http, target, ct) => (await Service<ControlPlane.Reports.IReportStore>(http).GetAsync(target.Id, ct))?.Report);

    public static AdminAction ReportDeliver { get; } = new(new AdminActionKind("report.deliver"), RouteValue("id"),
        async (http, target, ct) => (await Service<ControlPlane.Reports.IReportStore>(http).GetAsync(target.Id, ct))?.Report);

    /// <summary>The action declared here under <paramref name="name"/> (a property of this class).</summary>
    public static AdminAction Named(string name) =>
        typeof(AdminActions).GetProperty(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null) as AdminAction
            ?? throw new ArgumentOutOfRangeException(nameof(name), name, "No audited admin action of this name.");

    private static Func<HttpContext, CancellationToken, ValueTask<AuditTarget?>> RouteValue(string name) =>
        (http, _) => ValueTask.FromResult(http.Request.RouteValues[name] is string id ? new AuditTarget(id) : null);

    private static async Task<object?> BudgetAsync(HttpContext http, AuditTarget target, CancellationToken cancellationToken) =>
        await Service<IBudgetStore>(http).GetAsync(target.Id, cancellationToken);

    private static async Task<object?> KeyAsync(HttpContext http, AuditTarget target, CancellationToken cancellationToken) =>
        await Service<IApiKeyStore>(http).GetAsync(target.Id, cancellationToken) is { } key
            ? new KeySummary(key.Id, key.Name, key.Role, key.Teams, key.CreatedAt, key.RevokedAt)
            : null;

    private static async Task<object?> GpuPoolAsync(HttpContext http, AuditTarget target, CancellationToken cancellationToken) =>
        await Service<IGpuPoolStore>(http).GetAsync(target.Id, cancellationToken);

    /// <summary>The run's control state; its (possibly large, orchestration-specific) state and output stay in its own record.</summary>
    private static async Task<object?> OrchestrationAsync(HttpContext http, AuditTarget target, CancellationToken cancellationToken) =>
        await OrchestrationsApi.ViewAsync(Service<DurableClientAccessor>(http).Required, target.Id, cancellationToken) is { } run
            ? new { run.Id, run.Kind, run.Status, run.Step, run.StartedBy, run.LastError }
            : null;

    private static async ValueTask<AuditTarget?> StartInstanceIdAsync(HttpContext http, CancellationToken cancellationToken) =>
        await PeekAsync<OrchestrationsApi.StartRequest>(http.Request, cancellationToken) is { InstanceId: { } id } ? new AuditTarget(id) : null;

    /// <summary>The entries a price PUT names, by key; the target lists their keys.</summary>
    private static async ValueTask<AuditTarget?> PriceKeysAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (await PeekAsync<PriceSheetRequest>(http.Request, cancellationToken) is not { Prices: { Count: > 0 } prices }
            || prices.Any(p => p is null || p.Provider is null || p.Model is null))
        {
            return null;
        }

        var keys = prices.Select(p => PriceEntryKey.Of(p!)).Distinct().ToList();
        return new AuditTarget(string.Join(", ", keys), keys);
    }

    /// <summary>The stored overrides with the request's keys, ordered by key; null when none exists yet.</summary>
    private static async Task<object?> PriceOverridesAsync(HttpContext http, AuditTarget target, CancellationToken cancellationToken)
    {
        var keys = (IReadOnlyList<PriceEntryKey>)target.Selector!;
        var overrides = await Service<IPriceStore>(http).GetOverridesAsync(cancellationToken);
        var named = overrides.Where(e => keys.Contains(PriceEntryKey.Of(e))).OrderBy(e => PriceEntryKey.Of(e).ToString(), StringComparer.OrdinalIgnoreCase).ToList();
        return named.Count > 0 ? named : null;
    }

    private static async ValueTask<AuditTarget?> ScopeAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var body = await PeekAsync<ScopeBody>(http.Request, cancellationToken);
        var scope = body is null ? null : BudgetRequest.ScopeRequest.Validate(body.Scope, [], Service<ControlPlane.Privacy.UserPseudonymizer>(http));
        return scope is null ? null : new AuditTarget($"{scope.Type.ToString().ToLowerInvariant()}:{scope.Value}", scope);
    }

    /// <summary>A scope's manual isolation and its hard budgets' kill switches, read from storage (not a cache).</summary>
    private static async Task<object?> ScopeStateAsync(HttpContext http, AuditTarget target, CancellationToken cancellationToken)
    {
        var scope = (BudgetScope)target.Selector!;
        var isolation = (await Service<IIsolationStore>(http).ListAsync(cancellationToken)).FirstOrDefault(i => i.Scope == scope);
        var budgets = Service<BudgetService>(http);
        var switches = new List<object>();
        foreach (var budget in (await Service<IBudgetStore>(http).ListAsync(cancellationToken))
            .Where(b => b.Mode == BudgetMode.Hard && b.Scope == scope).OrderBy(b => b.Id, StringComparer.Ordinal))
        {
            var status = await budgets.StatusAsync(budget, cancellationToken);
            switches.Add(new { budgetId = budget.Id, status.KillSwitch });
        }

        return new { isolatedSince = isolation?.Since, killSwitches = switches };
    }

    private static async ValueTask<AuditTarget?> ReportTargetAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var body = await PeekAsync<ControlPlane.Functions.Reports.RunReportRequest>(http.Request, cancellationToken);
        if (body is null || !ControlPlane.Validation.EnumNames.TryParse<ControlPlane.Reports.ReportKind>(body.Kind, out var kind))
        {
            return null;
        }

        var period = body.Period is null
            ? ControlPlane.Reports.ReportPeriod.LastEnded(kind, Service<TimeProvider>(http).GetUtcNow())
            : ControlPlane.Reports.ReportPeriod.TryParse(kind, body.Period);
        return period is null ? null : new AuditTarget(ControlPlane.Reports.Report.IdFor(kind, period.Name));
    }

    private static async Task<object?> FindingAsync(HttpContext http, AuditTarget target, CancellationToken cancellationToken) =>
        await Service<ControlPlane.Audits.FindingService>(http).GetAsync(target.Id, cancellationToken) is { } finding
            ? new { finding.Id, finding.Kind, finding.State, finding.Severity, finding.Subject, finding.ProposedAction, finding.Applied, finding.LastChange }
            : null;

    private static T Service<T>(HttpContext http)
        where T : notnull => http.RequestServices.GetRequiredService<T>();

    /// <summary>
    /// Reads a JSON body without consuming it (the handler reads it again, with its own limits and error codes).
    /// Null when it is not JSON of that shape: the handler will refuse it, and the entry records that.
    /// </summary>
    private static async Task<T?> PeekAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength is 0 || request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }

        request.EnableBuffering();
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(new LengthLimitedStream(request.Body, MaxPeekBytes), JsonBody.Options, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or LengthLimitedStream.LimitExceededException or NotSupportedException)
        {
            return null;
        }
        finally
        {
            request.Body.Position = 0;
        }
    }
}
