using Azure.Identity;
using ControlPlane.Azure.Storage;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.Extensions.Options;

namespace ControlPlane.Standalone.Durable;

public static class DurableTaskServiceCollectionExtensions
{
    private const string WorkerName = "ControlPlane.Standalone";

    /// <summary>
    /// Runs Durable orchestrations in this process: a task hub on the Azure Storage provider (<c>ControlPlane:Storage</c>,
    /// the backend and history format Durable Functions use), an in-process task hub server, a worker running the tasks
    /// <paramref name="registerTasks"/> adds, and a <see cref="DurableTaskClient"/> any service can take from DI.
    /// Settings: <see cref="DurableTaskHostOptions"/> (<c>ControlPlane:Durable</c>).
    /// </summary>
    public static IServiceCollection AddStandaloneDurableTask(
        this IServiceCollection services, IConfiguration configuration, Action<DurableTaskRegistry> registerTasks)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(registerTasks);

        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DurableTaskHostOptions>()
            .Bind(configuration.GetSection(DurableTaskHostOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate<IOptions<StorageOptions>>(
                (durable, storage) => durable.TaskHubName(storage.Value.TablePrefix).Length <= DurableTaskHostOptions.MaxTaskHubLength,
                $"ControlPlane:Storage:TablePrefix followed by ControlPlane:Durable:TaskHub names the task hub and must be at most {DurableTaskHostOptions.MaxTaskHubLength} characters.")
            .ValidateOnStart();

        // The Azure Storage provider logs every message it moves at Information; keep its warnings and errors.
        services.AddLogging(logging => logging.AddFilter("DurableTask", LogLevel.Warning));

        services.AddSingleton(CreateOrchestrationService);
        services.AddSingleton<IOrchestrationServiceClient>(sp => sp.GetRequiredService<AzureStorageOrchestrationService>());
        services.AddSingleton(sp => new StopOnceOrchestrationService(
            sp.GetRequiredService<AzureStorageOrchestrationService>(), sp.GetRequiredService<ILogger<StopOnceOrchestrationService>>(),
            sp.GetRequiredService<IOptions<DurableTaskHostOptions>>().Value.TaskHubName(sp.GetRequiredService<IOptions<StorageOptions>>().Value.TablePrefix)));
        services.AddSingleton<TaskHubSidecar>();

        // The worker is built here but started and stopped by StandaloneDurableTaskHost, not as a hosted service of its
        // own, so that it stops before the server and the orchestration service, in that order.
        var worker = new DefaultDurableTaskWorkerBuilder(WorkerName, services).UseGrpc(_ => { }).AddTasks(registerTasks);
        services.AddOptions<GrpcDurableTaskWorkerOptions>(WorkerName).Configure<TaskHubSidecar>((options, sidecar) => options.Channel = sidecar.Channel);

        // Inputs, outputs and custom status as the isolated worker writes them under the Functions host: camelCase JSON.
        var converter = new Microsoft.DurableTask.Converters.JsonDataConverter(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        services.Configure<DurableTaskWorkerOptions>(WorkerName, options => options.DataConverter = converter);
        services.Configure<DurableTaskClientOptions>(Options.DefaultName, options => options.DataConverter = converter);

        services.AddDurableTaskClient(client => client.UseGrpc(_ => { }));
        services.AddOptions<GrpcDurableTaskClientOptions>(Options.DefaultName).Configure<TaskHubSidecar>((options, sidecar) => options.Channel = sidecar.Channel);

        services.AddHostedService(sp =>
        {
            var durable = sp.GetRequiredService<IOptions<DurableTaskHostOptions>>().Value;
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return new StandaloneDurableTaskHost(
                sp.GetRequiredService<TaskHubSidecar>(),
                sp.GetRequiredService<StopOnceOrchestrationService>(),
                durable.Enabled ? worker.Build(sp) : null,
                durable.TaskHubName(storage.TablePrefix),
                sp.GetRequiredService<ILogger<StandaloneDurableTaskHost>>());
        });
        return services;
    }

    private static AzureStorageOrchestrationService CreateOrchestrationService(IServiceProvider services)
    {
        var durable = services.GetRequiredService<IOptions<DurableTaskHostOptions>>().Value;
        var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        return new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = durable.TaskHubName(storage.TablePrefix),
            WorkerId = durable.EffectiveWorkerId,
            PartitionCount = durable.PartitionCount,
            MaxQueuePollingInterval = durable.MaxQueuePollingInterval,
            WorkItemQueueVisibilityTimeout = durable.VisibilityTimeout,
            ControlQueueVisibilityTimeout = durable.VisibilityTimeout,

            // Same identity as the rest of ControlPlane: managed identity in Azure (no shared keys), a connection string locally.
            StorageAccountClientProvider = storage.AccountName is { } account
                ? new StorageAccountClientProvider(account, new DefaultAzureCredential())
                : new StorageAccountClientProvider(storage.ConnectionString),

            // The app lease exists for two apps sharing a task hub during a blue/green swap; one standalone host has none to
            // hand over, and a killed host's app lease would hold the next start back until it expires.
            UseAppLease = false,
            LoggerFactory = services.GetRequiredService<ILoggerFactory>(),
        });
    }
}
