namespace ControlPlane.Functions.Hosting;

/// <summary>How the Functions host starts a function.</summary>
public abstract record FunctionTrigger;

/// <summary>An HTTP function: the host forwards the request unchanged to <c>/api/{Route}</c>.</summary>
/// <param name="Route">Route below the host's <c>api</c> prefix, in ASP.NET route syntax.</param>
/// <param name="Anonymous">True only for endpoints that need no key (health, the OpenAPI document).</param>
public sealed record HttpTrigger(string Route, IReadOnlyList<string> Methods, bool Anonymous = false) : FunctionTrigger;

/// <summary>A timer function: six-field NCRONTAB schedule (with seconds), always UTC.</summary>
/// <param name="ScheduleSetting">
/// When set, the schedule is read from this app setting (<c>%Setting%</c> in function.json, <c>__</c> for <c>:</c>
/// in .NET configuration) and <paramref name="Schedule"/> is only the default the local runner falls back to.
/// </param>
public sealed record TimerTrigger(string Schedule, string? ScheduleSetting = null) : FunctionTrigger;

/// <summary>A queue function: the host (or the local runner) delivers each message of <paramref name="QueueName"/>, Base64-encoded.</summary>
public sealed record QueueTrigger(string QueueName) : FunctionTrigger
{
    /// <summary>The binding name: the host posts the message as <c>Data.message</c>.</summary>
    public const string BindingName = "message";
}

/// <summary>A non-HTTP function the host invokes with <c>POST /{Name}</c>, resolved from DI.</summary>
public interface IFunctionHandler
{
    Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken);
}

/// <summary>One function of the app.</summary>
public sealed record FunctionDefinition(string Name, FunctionTrigger Trigger, Type? HandlerType = null);

/// <summary>
/// The single source of truth for what the app exposes to the Functions host. Endpoints use these names, the
/// shipped <c>function.json</c> files are generated from this list, and the local trigger runner reads it; a test
/// fails when the three disagree.
/// </summary>
public static class FunctionCatalog
{
    public const string Health = "Health";
    public const string OpenApiDocument = "OpenApiDocument";
    public const string RecordUsage = "RecordUsage";
    public const string GetUsageEvent = "GetUsageEvent";
    public const string GetCosts = "GetCosts";
    public const string ListPrices = "ListPrices";
    public const string UpsertPrices = "UpsertPrices";
    public const string QuotePrice = "QuotePrice";
    public const string IssueKey = "IssueKey";
    public const string ListKeys = "ListKeys";
    public const string RevokeKey = "RevokeKey";
    public const string LedgerRetentionSweep = "LedgerRetentionSweep";
    public const string FoldUsageRollups = "FoldUsageRollups";
    public const string UpsertBudget = "UpsertBudget";
    public const string ListBudgets = "ListBudgets";
    public const string GetBudget = "GetBudget";
    public const string DeleteBudget = "DeleteBudget";
    public const string Authorize = "Authorize";
    public const string ReleaseReservation = "ReleaseReservation";
    public const string ListKillSwitches = "ListKillSwitches";
    public const string CheckKillSwitches = "CheckKillSwitches";
    public const string IsolateScope = "IsolateScope";
    public const string ResetKillSwitch = "ResetKillSwitch";
    public const string ListEvents = "ListEvents";
    public const string ReservationExpirySweep = "ReservationExpirySweep";
    public const string PublishBudgetEvents = "PublishBudgetEvents";
    public const string UpsertGpuPool = "UpsertGpuPool";
    public const string ListGpuPools = "ListGpuPools";
    public const string GetGpuPool = "GetGpuPool";
    public const string PostGpuSamples = "PostGpuSamples";
    public const string GetGpuDecisions = "GetGpuDecisions";
    public const string GpuPoolRightsizing = "GpuPoolRightsizing";
    public const string ListOrchestrations = "ListOrchestrations";
    public const string GetOrchestration = "GetOrchestration";
    public const string StartOrchestration = "StartOrchestration";
    public const string TerminateOrchestration = "TerminateOrchestration";
    public const string RetryOrchestration = "RetryOrchestration";
    public const string AdvanceOrchestration = "AdvanceOrchestration";
    public const string WakeOrchestrations = "WakeOrchestrations";
    public const string SubmitBatchRequest = "SubmitBatchRequest";
    public const string ListBatchRequests = "ListBatchRequests";
    public const string GetBatchRequest = "GetBatchRequest";
    public const string CancelBatchRequest = "CancelBatchRequest";
    public const string NightlyBatch = "NightlyBatch";
    public const string BatchRetentionSweep = "BatchRetentionSweep";
    public const string OrchestrationRetentionSweep = "OrchestrationRetentionSweep";
    public const string ListAuditLog = "ListAuditLog";
    public const string AuditLogRetentionSweep = "AuditLogRetentionSweep";

    public static IReadOnlyList<FunctionDefinition> All { get; } =
    [
        new(Health, new HttpTrigger("health", ["GET"], Anonymous: true)),
        new(OpenApiDocument, new HttpTrigger("openapi.json", ["GET"], Anonymous: true)),
        new(RecordUsage, new HttpTrigger("usage", ["POST"])),
        new(GetUsageEvent, new HttpTrigger("usage/{id}", ["GET"])),
        new(GetCosts, new HttpTrigger("costs", ["GET"])),
        new(ListPrices, new HttpTrigger("prices", ["GET"])),
        new(UpsertPrices, new HttpTrigger("prices", ["PUT"])),
        new(QuotePrice, new HttpTrigger("prices/quote", ["POST"])),
        new(IssueKey, new HttpTrigger("keys", ["POST"])),
        new(ListKeys, new HttpTrigger("keys", ["GET"])),
        new(RevokeKey, new HttpTrigger("keys/{id}", ["DELETE"])),
        new(UpsertBudget, new HttpTrigger("budgets/{id}", ["PUT"])),
        new(ListBudgets, new HttpTrigger("budgets", ["GET"])),
        new(GetBudget, new HttpTrigger("budgets/{id}", ["GET"])),
        new(DeleteBudget, new HttpTrigger("budgets/{id}", ["DELETE"])),
        new(Authorize, new HttpTrigger("authorize", ["POST"])),
        new(ReleaseReservation, new HttpTrigger("reservations/{id}", ["DELETE"])),
        new(ListKillSwitches, new HttpTrigger("killswitches", ["GET"])),
        new(CheckKillSwitches, new HttpTrigger("killswitches/check", ["GET"])),
        new(IsolateScope, new HttpTrigger("killswitches/isolate", ["POST"])),
        new(ResetKillSwitch, new HttpTrigger("killswitches/reset", ["POST"])),
        new(ListEvents, new HttpTrigger("events", ["GET"])),
        new(UpsertGpuPool, new HttpTrigger("gpu/pools/{pool}", ["PUT"])),
        new(ListGpuPools, new HttpTrigger("gpu/pools", ["GET"])),
        new(GetGpuPool, new HttpTrigger("gpu/pools/{pool}", ["GET"])),
        new(PostGpuSamples, new HttpTrigger("gpu/pools/{pool}/samples", ["POST"])),
        new(GetGpuDecisions, new HttpTrigger("gpu/pools/{pool}/decisions", ["GET"])),
        new(LedgerRetentionSweep, new TimerTrigger("0 30 3 * * *"), typeof(Retention.LedgerRetentionSweepFunction)),
        new(FoldUsageRollups, new TimerTrigger("40 * * * * *"), typeof(Usage.FoldUsageRollupsFunction)),
        new(ReservationExpirySweep, new TimerTrigger("0 * * * * *"), typeof(Budgets.ReservationExpirySweepFunction)),
        new(PublishBudgetEvents, new TimerTrigger("*/30 * * * * *"), typeof(Budgets.PublishBudgetEventsFunction)),
        new(GpuPoolRightsizing, new TimerTrigger("0 */5 * * * *"), typeof(Capacity.GpuPoolRightsizingFunction)),
        new(ListOrchestrations, new HttpTrigger("orchestrations", ["GET"])),
        new(GetOrchestration, new HttpTrigger("orchestrations/{id}", ["GET"])),
        new(StartOrchestration, new HttpTrigger("orchestrations/{kind}/start", ["POST"])),
        new(TerminateOrchestration, new HttpTrigger("orchestrations/{id}/terminate", ["POST"])),
        new(RetryOrchestration, new HttpTrigger("orchestrations/{id}/retry", ["POST"])),
        new(AdvanceOrchestration, new QueueTrigger(Azure.Orchestrations.QueueOrchestrationDispatcher.QueueName), typeof(Orchestrations.AdvanceOrchestrationFunction)),
        new(WakeOrchestrations, new TimerTrigger("15 * * * * *"), typeof(Orchestrations.WakeOrchestrationsFunction)),
        new(SubmitBatchRequest, new HttpTrigger("batch/requests", ["POST"])),
        new(ListBatchRequests, new HttpTrigger("batch/requests", ["GET"])),
        new(GetBatchRequest, new HttpTrigger("batch/requests/{id}", ["GET"])),
        new(CancelBatchRequest, new HttpTrigger("batch/requests/{id}", ["DELETE"])),
        new(NightlyBatch, new TimerTrigger("0 0 2 * * *", "ControlPlane__Batch__Schedule"), typeof(Batch.NightlyBatchFunction)),
        new(BatchRetentionSweep, new TimerTrigger("0 45 3 * * *"), typeof(Batch.BatchRetentionSweepFunction)),
        new(OrchestrationRetentionSweep, new TimerTrigger("0 50 3 * * *"), typeof(Orchestrations.OrchestrationRetentionSweepFunction)),
        new(ListAuditLog, new HttpTrigger("audit-log", ["GET"])),
        new(AuditLogRetentionSweep, new TimerTrigger("0 55 3 * * *"), typeof(AuditLog.AuditLogRetentionSweepFunction)),
    ];

    public static FunctionDefinition? Find(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}
