using ControlPlane.Audits;
using ControlPlane.Batch;
using ControlPlane.Functions.Hosting;
using Microsoft.Extensions.Configuration.Memory;
using ControlPlane.Standalone.Durable;
using ControlPlane.Standalone.Functions;
using Microsoft.DurableTask.Client;

// The same functions without the Functions host: HTTP functions at their routes, timers on their schedules,
// orchestrators and activities on an in-process Durable task hub backed by Azure Storage (Azurite locally).
var builder = WebApplication.CreateBuilder(args);

// Under the Functions host a timer's %Setting% schedule (nightly batch, audits, reports) must be an app setting (Bicep
// sets them); standalone each falls back to its options' default, below every other configuration source.
builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
{
    InitialData =
    [
        new($"{BatchOptions.SectionName}:{nameof(BatchOptions.Schedule)}", new BatchOptions().Schedule),
        new($"{ShadowAiOptions.SectionName}:{nameof(ShadowAiOptions.Schedule)}", new ShadowAiOptions().Schedule),
        new($"{ControlPlane.Reports.ReportOptions.SectionName}:{nameof(ControlPlane.Reports.ReportOptions.WeeklySchedule)}", new ControlPlane.Reports.ReportOptions().WeeklySchedule),
        new($"{ControlPlane.Reports.ReportOptions.SectionName}:{nameof(ControlPlane.Reports.ReportOptions.MonthlySchedule)}", new ControlPlane.Reports.ReportOptions().MonthlySchedule),
        new($"{ZombieAuditOptions.SectionName}:{nameof(ZombieAuditOptions.Schedule)}", new ZombieAuditOptions().Schedule),
        new($"{AnomalyScanOptions.SectionName}:{nameof(AnomalyScanOptions.Schedule)}", new AnomalyScanOptions().Schedule),
    ],
});
builder.Services.Configure<HostOptions>(o => o.ServicesStopConcurrently = true);
builder.Services.AddControlPlane(builder.Configuration);

var durable = new DurableFunctions();
builder.Services.AddStandaloneDurableTask(builder.Configuration, durable.Register);
builder.Services.AddScoped(sp => new DurableClientAccessor { Client = sp.GetRequiredService<DurableTaskClient>() });
builder.Services.AddSingleton<TimerClaims>();
builder.Services.AddSingleton<TimerFunctions>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<TimerFunctions>());

var app = builder.Build();
durable.Services = app.Services;
app.UseExceptionHandler();
app.UseProblemsForUnknownRoutes();
app.UseRouting();
app.UseStorageDeadlines();
app.UseAuthentication();
app.UseAuthorization();
app.MapHttpFunctions();
app.MapAdminFunctionsApi();
app.Run();

namespace ControlPlane.Standalone
{
    /// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
    public partial class Program;
}
