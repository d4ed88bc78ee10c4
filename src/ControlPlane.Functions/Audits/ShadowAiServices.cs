using ControlPlane.Audits;
using ControlPlane.Azure.Audits;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Registry;
using ControlPlane.Usage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Audits;

/// <summary>The shadow-AI audit's services: its settings, stores, the Resource Manager reader and the orchestration's starter.</summary>
public static class ShadowAiServices
{
    /// <summary>
    /// Resource Manager is read only when <c>ControlPlane:Audits:ShadowAi:Subscriptions</c> is set (<c>*</c> or ids);
    /// otherwise runs audit the uploaded inventory alone and say so. A test may register its own
    /// <see cref="IAiInventoryReader"/> (a client on the Resource Manager fake) before this runs.
    /// </summary>
    /// <summary>The subscriptions the deployment gave the app Reader on (a list: <c>ControlPlane__Audits__SubscriptionIds__0</c>, ...).</summary>
    public const string DeployedSubscriptionsSetting = "ControlPlane:Audits:SubscriptionIds";

    public static IServiceCollection AddControlPlaneShadowAiAudit(this IServiceCollection services)
    {
        services.AddOptions<ShadowAiOptions>().BindConfiguration(ShadowAiOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => Cronos.CronExpression.TryParse(o.Schedule, Cronos.CronFormat.IncludeSeconds, out _),
                "ControlPlane:Audits:ShadowAi:Schedule must be a six-field NCRONTAB expression (with seconds), e.g. '0 30 3 * * *'.")
            .Validate(o => o.RequiredTagList.Count > 0, "ControlPlane:Audits:ShadowAi:RequiredTags must name at least one tag.")
            .ValidateOnStart();

        // The deployment grants Reader on main.bicep's auditSubscriptionIds and lists them as ControlPlane__Audits__SubscriptionIds__{i}:
        // without a Subscriptions setting of its own, the audit reads those.
        services.AddOptions<ShadowAiOptions>().PostConfigure<IConfiguration>((o, configuration) =>
        {
            if (!o.ReadsResourceManager && configuration.GetSection(DeployedSubscriptionsSetting).Get<string[]>() is { Length: > 0 } deployed)
            {
                o.Subscriptions = string.Join(',', deployed);
            }
        });
        services.AddOptions<ShadowAiArmOptions>().BindConfiguration(ShadowAiArmOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IAiResourceRegistry, TableAiResourceRegistry>();
        services.AddSingleton<IShadowAiUploadStore, BlobShadowAiUploadStore>();
        services.AddSingleton<AiResourceRegistration>();
        services.TryAddSingleton<IAiInventoryReader>(sp => ArmAiInventoryReader.Create(sp.GetRequiredService<IOptions<ShadowAiArmOptions>>().Value));
        services.AddSingleton(sp => new ShadowAiAudit(
            sp.GetRequiredService<IOptions<ShadowAiOptions>>().Value.ReadsResourceManager ? sp.GetRequiredService<IAiInventoryReader>() : null,
            sp.GetRequiredService<IShadowAiUploadStore>(), sp.GetRequiredService<IAiResourceRegistry>(), sp.GetRequiredService<IRegistryStore>(),
            sp.GetRequiredService<IUsageStore>(), sp.GetRequiredService<IOptions<ShadowAiOptions>>().Value));
        services.AddSingleton<ShadowAiAuditStarter>();
        services.AddSingleton<IOrchestrationStarter>(sp => sp.GetRequiredService<ShadowAiAuditStarter>());
        return services;
    }
}
