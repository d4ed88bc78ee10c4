using ControlPlane.Audits;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Orchestrations;
using ControlPlane.Registry;
using ControlPlane.Usage;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Audits;

/// <summary>The usage-derived audits: zombie features, unit economics, spend anomalies and agent loops.</summary>
public static class UsageAuditServices
{
    /// <summary>
    /// Settings <c>ControlPlane:Audits:Zombie</c> and <c>ControlPlane:Audits:Anomalies</c> (validated at start), the
    /// audit service, and the two orchestration kinds' starters. Recording findings needs the findings service,
    /// registered with the findings capability.
    /// </summary>
    public static IServiceCollection AddControlPlaneUsageAudits(this IServiceCollection services)
    {
        services.AddOptions<ZombieAuditOptions>().BindConfiguration(ZombieAuditOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => IsSchedule(o.Schedule), $"{ZombieAuditOptions.SectionName}:Schedule must be a six-field NCRONTAB expression (with seconds), e.g. '0 15 3 * * *'.")
            .ValidateOnStart();
        services.AddOptions<AnomalyScanOptions>().BindConfiguration(AnomalyScanOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => IsSchedule(o.Schedule), $"{AnomalyScanOptions.SectionName}:Schedule must be a six-field NCRONTAB expression (with seconds), e.g. '0 5 * * * *'.")
            .Validate(o => o.MinBaselineWeeks <= o.BaselineWeeks, $"{AnomalyScanOptions.SectionName}:MinBaselineWeeks cannot exceed BaselineWeeks.")
            .ValidateOnStart();
        services.AddSingleton(sp => new UsageAuditService(
            sp.GetRequiredService<IUsageStore>(), sp.GetRequiredService<IRegistryStore>(),
            sp.GetRequiredService<IOptions<ZombieAuditOptions>>().Value, sp.GetRequiredService<IOptions<AnomalyScanOptions>>().Value));
        services.AddSingleton(sp => new UsageAuditStarters(
            new UsageAuditStarter(UsageAuditOrchestrations.ZombieKind, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<OrchestrationOptions>>()),
            new UsageAuditStarter(UsageAuditOrchestrations.AnomalyKind, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<OrchestrationOptions>>())));
        services.AddSingleton<IOrchestrationStarter>(sp => sp.GetRequiredService<UsageAuditStarters>().Zombie);
        services.AddSingleton<IOrchestrationStarter>(sp => sp.GetRequiredService<UsageAuditStarters>().Anomalies);
        return services;
    }

    private static bool IsSchedule(string? schedule) => schedule is not null && Cronos.CronExpression.TryParse(schedule, Cronos.CronFormat.IncludeSeconds, out _);
}
