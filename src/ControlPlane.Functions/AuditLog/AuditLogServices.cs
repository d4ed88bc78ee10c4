using ControlPlane.AuditLog;
using ControlPlane.Azure.AuditLog;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.AuditLog;

/// <summary>Registers the admin audit log.</summary>
public static class AuditLogServices
{
    public static IServiceCollection AddControlPlaneAuditLog(this IServiceCollection services)
    {
        services.AddOptions<AuditLogOptions>().BindConfiguration(AuditLogOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IAdminAuditLog, TableAdminAuditLog>();
        services.AddSingleton(sp => new AdminAuditService(
            sp.GetRequiredService<IAdminAuditLog>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<AuditLogOptions>>().Value));
        services.AddScoped<AuditLogRetentionSweepFunction>();
        return services;
    }
}
