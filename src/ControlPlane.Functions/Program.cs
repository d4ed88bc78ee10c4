using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Batch;
using ControlPlane.Functions.Budgets;
using ControlPlane.Functions.Capacity;
using ControlPlane.Functions.Health;
using ControlPlane.Functions.Hosting;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Functions.Pricing;
using ControlPlane.Functions.Usage;

var builder = WebApplication.CreateBuilder(args);
var mode = HostingMode.From(builder.Configuration);
if (mode.CustomHandlerPort is { } port)
{
    // Under the Functions host: listen where it forwards requests, on loopback only.
    builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
}

builder.Services
    .AddControlPlaneHttp()
    .AddControlPlaneStorage()
    .AddControlPlaneAccess(builder.Configuration)
    .AddControlPlanePricing()
    .AddControlPlaneUsage()
    .AddControlPlaneBudgets()
    .AddControlPlaneCapacity()
    .AddControlPlaneOrchestrations()
    .AddControlPlaneBatch(builder.Configuration)
    .AddControlPlaneAuditLog()
    .AddControlPlaneFunctions(mode, builder.Configuration);

var app = builder.Build();
app.UseExceptionHandler();
app.UseAuthentication();
app.UseAuthorization();

app.MapHealthApi();
app.MapOpenApi("/api/openapi.json").WithName(FunctionCatalog.OpenApiDocument).AllowAnonymous();
app.MapUsageApi();
app.MapPricesApi();
app.MapKeysApi();
app.MapBudgetsApi();
app.MapAuthorizeApi();
app.MapKillSwitchesApi();
app.MapEventsApi();
app.MapGpuPoolsApi();
app.MapOrchestrationsApi();
app.MapBatchApi();
app.MapAuditLogApi();
app.MapCustomHandlerApi(mode);

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
