using ControlPlane.Standalone.Durable;
using ControlPlane.Testing;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Standalone.Durable;

/// <summary>Builds a host that runs only the standalone Durable Task pieces, on Azurite, under a given table prefix.</summary>
internal static class DurableTestHost
{
    public static IHost Build(string tablePrefix, Action<DurableTaskRegistry> registerTasks, string? connectionString = null, IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ControlPlane:Storage:ConnectionString"] = connectionString ?? Azurite.ConnectionString,
            ["ControlPlane:Storage:TablePrefix"] = tablePrefix,

            // Idle queues are polled at least every second so a test never waits the 5 s default after a quiet spell.
            ["ControlPlane:Durable:MaxQueuePollingInterval"] = "00:00:01",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddStandaloneDurableTask(builder.Configuration, registerTasks);
        return builder.Build();
    }

    public static async Task<IHost> StartAsync(string tablePrefix, Action<DurableTaskRegistry> registerTasks, string? connectionString = null)
    {
        var host = Build(tablePrefix, registerTasks, connectionString);
        await host.StartAsync();
        return host;
    }
}
