using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.Access;
using ControlPlane.Azure.Access;
using ControlPlane.Azure.Budgets;
using ControlPlane.Azure.Capacity;
using ControlPlane.Capacity;
using ControlPlane.Functions.Capacity;
using ControlPlane.Azure.Events;
using ControlPlane.Budgets;
using ControlPlane.Functions.Budgets;
using ControlPlane.Azure.Pricing;
using ControlPlane.Azure.Storage;
using ControlPlane.Azure.Batch;
using ControlPlane.Batch;
using ControlPlane.Functions.Batch;
using ControlPlane.Functions.Audits;
using ControlPlane.Azure.Usage;
using ControlPlane.Functions.Orchestrations;
using ControlPlane.Orchestrations;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using ControlPlane.Functions.Mcp;
using ControlPlane.Pricing;
using ControlPlane.Privacy;
using ControlPlane.Usage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Hosting;

/// <summary>One <c>AddControlPlane…</c> per capability, so Program.cs reads like a table of contents.</summary>
public static class ControlPlaneServices
{
    public const string AdminKeySetting = "ControlPlane:AdminKey";

    /// <summary>Everything the functions need, under either host.</summary>
    public static IServiceCollection AddControlPlane(this IServiceCollection services, IConfiguration configuration) => services
        .AddControlPlaneHttp()
        .AddControlPlaneStorage()
        .AddControlPlaneAccess(configuration)
        .AddControlPlanePricing()
        .AddControlPlanePrivacy()
        .AddControlPlaneUsage()
        .AddControlPlaneTelemetry()
        .AddControlPlaneBudgets()
        .AddControlPlaneCapacity()
        .AddControlPlaneOrchestrations()
        .AddControlPlaneBatch(configuration)
        .AddControlPlaneAuditLog()
        .AddControlPlaneRegistry()
        .AddControlPlaneShadowAiAudit()
        .AddControlPlaneFindings()
        .AddControlPlaneUsageAudits()
        .AddControlPlaneReports()
        .AddControlPlaneMcp();

    /// <summary>Finance reports: their store, runner, email delivery and schedules.</summary>
    public static IServiceCollection AddControlPlaneReports(this IServiceCollection services)
    {
        services.AddOptions<ControlPlane.Reports.ReportOptions>().BindConfiguration(ControlPlane.Reports.ReportOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => Cronos.CronExpression.TryParse(o.WeeklySchedule, Cronos.CronFormat.IncludeSeconds, out _)
                && Cronos.CronExpression.TryParse(o.MonthlySchedule, Cronos.CronFormat.IncludeSeconds, out _),
                "ControlPlane:Reports:WeeklySchedule and MonthlySchedule must be six-field NCRONTAB expressions (with seconds), e.g. '0 0 6 * * 1'.")
            .ValidateOnStart();
        services.AddOptions<ControlPlane.Reports.Delivery.ReportEmailOptions>().BindConfiguration(ControlPlane.Reports.Delivery.ReportEmailOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ControlPlane.Reports.IReportStore, ControlPlane.Azure.Reports.ReportStore>();
        services.AddSingleton(sp => new ControlPlane.Reports.ReportRunner(
            sp.GetRequiredService<IUsageStore>(), sp.GetRequiredService<ControlPlane.Registry.IRegistryStore>(), sp.GetRequiredService<BudgetService>(),
            sp.GetRequiredService<ControlPlane.Audits.FindingService>(), sp.GetRequiredService<PriceCatalog>(), sp.GetRequiredService<ControlPlane.Reports.IReportStore>(),
            sp.GetRequiredService<IOptions<ControlPlane.Reports.ReportOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ControlPlane.Reports.Delivery.IReportMailer>(sp =>
            new ControlPlane.Reports.Delivery.SmtpReportMailer(sp.GetRequiredService<IOptions<ControlPlane.Reports.Delivery.ReportEmailOptions>>().Value));
        services.AddSingleton(sp => new ControlPlane.Reports.Delivery.ReportDeliverer(
            sp.GetRequiredService<ControlPlane.Reports.IReportStore>(), sp.GetRequiredService<ControlPlane.Reports.ReportRunner>(),
            sp.GetRequiredService<ControlPlane.Reports.Delivery.IReportMailer>(), sp.GetRequiredService<IOptions<ControlPlane.Reports.Delivery.ReportEmailOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ControlPlane.Functions.Reports.ReportStarter>();
        services.AddSingleton<IOrchestrationStarter>(sp => sp.GetRequiredService<ControlPlane.Functions.Reports.ReportStarter>());
        return services;
    }

    /// <summary>Findings the audits raise, and the proposed actions an admin may apply.</summary>
    public static IServiceCollection AddControlPlaneFindings(this IServiceCollection services)
    {
        services.AddOptions<ControlPlane.Audits.AuditOptions>().BindConfiguration(ControlPlane.Audits.AuditOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ControlPlane.Audits.IFindingStore, ControlPlane.Azure.Audits.TableFindingStore>();
        services.AddSingleton(sp => new ControlPlane.Audits.FindingService(
            sp.GetRequiredService<ControlPlane.Audits.IFindingStore>(), sp.GetRequiredService<IEventPublisher>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ControlPlane.Audits.AuditOptions>>().Value));
        services.AddSingleton<ControlPlane.Functions.Audits.IProposedActionHandler, ControlPlane.Functions.Audits.IsolateScopeAction>();
        services.AddSingleton<ControlPlane.Functions.Audits.IProposedActionHandler, ControlPlane.Functions.Audits.CreateBudgetAction>();
        services.AddSingleton<ControlPlane.Functions.Audits.IProposedActionHandler, ControlPlane.Functions.Audits.RegisterResourceAction>();
        return services;
    }

    /// <summary>Teams and features: owners, cost centers, design estimates and units of value.</summary>
    public static IServiceCollection AddControlPlaneRegistry(this IServiceCollection services) =>
        services.AddSingleton<ControlPlane.Registry.IRegistryStore, ControlPlane.Azure.Registry.TableRegistryStore>();

    public static IServiceCollection AddControlPlaneHttp(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<UnhandledExceptionHandler>();
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<HttpFunctionPipeline>();
        services.AddOptions<DeadlineOptions>().BindConfiguration(DeadlineOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<DurableClientAccessor>();
        return services;
    }

    /// <summary>The API's JSON: camelCase enums, decimals without trailing zeros, no nulls.</summary>
    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.Converters.Add(new NormalizedDecimalConverter());
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    }

    public static IServiceCollection AddControlPlaneStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new StorageHealth(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new TableProvider(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<StorageHealth>()));
        services.AddSingleton(sp => new QueueProvider(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<StorageHealth>()));
        services.AddSingleton(sp => new BlobProvider(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<StorageHealth>()));
        return services;
    }

    public static IServiceCollection AddControlPlaneAccess(this IServiceCollection services, IConfiguration configuration)
    {
        var adminKey = configuration[AdminKeySetting];
        if (adminKey is { Length: < 16 })
        {
            throw new OptionsValidationException(AdminKeySetting, typeof(string),
                [$"{AdminKeySetting} must be at least 16 characters long (use a random secret)."]);
        }

        services.AddSingleton<IApiKeyStore, TableApiKeyStore>();
        services.AddSingleton(sp => new ApiKeyService(sp.GetRequiredService<IApiKeyStore>(), sp.GetRequiredService<TimeProvider>(), adminKey, StorageFailures.IsOutage));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddControlPlanePolicies();
        return services;
    }

    public static IServiceCollection AddControlPlanePricing(this IServiceCollection services)
    {
        services.AddOptions<PricingOptions>().BindConfiguration(PricingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPriceStore, TablePriceStore>();
        services.AddSingleton(sp => new PriceCatalog(
            sp.GetRequiredService<IPriceStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<PricingOptions>>().Value,
            StorageFailures.IsOutage));
        return services;
    }

    /// <summary>The OTLP traces receiver: GenAI spans read into usage events, recorded by the usage ingest.</summary>
    public static IServiceCollection AddControlPlaneTelemetry(this IServiceCollection services) =>
        services.AddSingleton(sp => new ControlPlane.Telemetry.GenAiSpanReader(sp.GetRequiredService<UsageEventValidator>()));

    /// <summary>
    /// User pseudonymization: with <c>ControlPlane:Privacy:UserPseudonymKey</c> set, user ids are replaced by keyed
    /// hashes where they enter; a key shorter than 32 bytes stops the app at start.
    /// </summary>
    public static IServiceCollection AddControlPlanePrivacy(this IServiceCollection services)
    {
        services.AddOptions<PrivacyOptions>().BindConfiguration(PrivacyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new UserPseudonymizer(sp.GetRequiredService<IOptions<PrivacyOptions>>().Value.UserPseudonymKeyBytes));
        return services;
    }

    public static IServiceCollection AddControlPlaneUsage(this IServiceCollection services)
    {
        services.AddOptions<UsageOptions>().BindConfiguration(UsageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IUsageStore, TableUsageStore>();
        services.AddSingleton(sp => new UsageEventValidator(sp.GetRequiredService<IOptions<UsageOptions>>().Value, sp.GetRequiredService<UserPseudonymizer>()));
        services.AddSingleton(sp => new UsageIngestService(
            sp.GetRequiredService<IUsageStore>(), sp.GetRequiredService<PriceCatalog>(), sp.GetRequiredService<BudgetService>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<UsageOptions>>().Value));
        return services;
    }

    public static IServiceCollection AddControlPlaneBudgets(this IServiceCollection services)
    {
        services.AddOptions<BudgetOptions>().BindConfiguration(BudgetOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IBudgetStore, TableBudgetStore>();
        services.AddOptions<LeaseOptions>().BindConfiguration(LeaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new TableBudgetLedger(
            sp.GetRequiredService<TableProvider>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<LeaseOptions>>().Value,
            sp.GetRequiredService<IOptions<BudgetOptions>>().Value));
        services.AddSingleton<IBudgetLedger>(sp => sp.GetRequiredService<TableBudgetLedger>());
        services.AddSingleton<IReservationStore, TableReservationStore>();
        services.AddSingleton<IIsolationStore, TableIsolationStore>();
        services.AddSingleton<ScopeIsolation>();
        services.AddSingleton(sp => new BudgetService(
            sp.GetRequiredService<IBudgetStore>(), sp.GetRequiredService<IBudgetLedger>(), sp.GetRequiredService<IReservationStore>(),
            sp.GetRequiredService<IIsolationStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<BudgetOptions>>().Value,
            StorageFailures.IsOutage));
        services.AddSingleton<IBudgetOpeningLedger>(sp => sp.GetRequiredService<TableBudgetLedger>());
        services.AddSingleton(sp => new BudgetOpeningService(
            sp.GetRequiredService<IBudgetStore>(), sp.GetRequiredService<IBudgetOpeningLedger>(), sp.GetRequiredService<IUsageStore>(),
            sp.GetRequiredService<BudgetService>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<UsageOptions>>().Value));
        services.AddHostedService<LeaseReturnOnShutdown>();
        services.AddOptions<EventsOptions>().BindConfiguration(EventsOptions.SectionName);
        services.AddSingleton<IEventPublisher>(sp => new EventGridPublisher(sp.GetRequiredService<IOptions<EventsOptions>>().Value));
        return services;
    }

    public static IServiceCollection AddControlPlaneCapacity(this IServiceCollection services)
    {
        services.AddOptions<CapacityArmOptions>().BindConfiguration(CapacityArmOptions.SectionName);
        services.AddSingleton<IGpuPoolStore, TableGpuPoolStore>();
        services.AddSingleton<IScaleSetController>(sp => ArmScaleSetController.Create(
            sp.GetRequiredService<IOptions<CapacityArmOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<CapacityService>();
        return services;
    }

    public static IServiceCollection AddControlPlaneOrchestrations(this IServiceCollection services)
    {
        services.AddOptions<OrchestrationOptions>().BindConfiguration(OrchestrationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Deferrable requests and the nightly batch. Optional: without <c>ControlPlane:AzureOpenAI:Endpoint</c> the batch
    /// endpoints answer 503 <c>batch_not_configured</c> and the nightly timer starts nothing.
    /// </summary>
    public static IServiceCollection AddControlPlaneBatch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BatchOptions>().BindConfiguration(BatchOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => Cronos.CronExpression.TryParse(o.Schedule, Cronos.CronFormat.IncludeSeconds, out _),
                "ControlPlane:Batch:Schedule must be a six-field NCRONTAB expression (with seconds), e.g. '0 0 2 * * *'.")
            .ValidateOnStart();
        var configured = configuration.GetSection(AzureOpenAIOptions.SectionName)["Endpoint"] is { Length: > 0 };
        services.AddSingleton(new BatchAvailability(configured));
        services.AddSingleton<IBatchRequestStore, TableBatchRequestStore>();
        services.AddSingleton<IBatchPayloadStore, BlobBatchPayloadStore>();

        services.AddSingleton(sp => new BatchRequestService(
            sp.GetRequiredService<IBatchRequestStore>(), sp.GetRequiredService<IBatchPayloadStore>(), sp.GetRequiredService<BudgetService>(),
            sp.GetRequiredService<PriceCatalog>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<BatchOptions>>().Value));
        if (configured)
        {
            services.AddOptions<AzureOpenAIOptions>().BindConfiguration(AzureOpenAIOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            services.TryAddSingleton<IBatchGateway>(sp => AzureOpenAIBatchGateway.Create(sp.GetRequiredService<IOptions<AzureOpenAIOptions>>().Value));
            services.AddSingleton(sp => new NightlyBatchSteps(
                sp.GetRequiredService<IBatchRequestStore>(), sp.GetRequiredService<IBatchPayloadStore>(), sp.GetRequiredService<IBatchGateway>(),
                sp.GetRequiredService<UsageIngestService>(), sp.GetRequiredService<UsageEventValidator>(), sp.GetRequiredService<PriceCatalog>(),
                sp.GetRequiredService<BudgetService>(), sp.GetRequiredService<IEventPublisher>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IOptions<BatchOptions>>().Value));
            services.AddSingleton<NightlyBatchStarter>();
            services.AddSingleton<IOrchestrationStarter>(sp => sp.GetRequiredService<NightlyBatchStarter>());
        }

        return services;
    }
}
