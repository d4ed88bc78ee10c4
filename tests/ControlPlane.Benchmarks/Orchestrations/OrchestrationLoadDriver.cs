using System.Diagnostics;
using System.Globalization;
using ControlPlane.Standalone.Durable;
using ControlPlane.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Benchmarks.Orchestrations;

/// <summary>
/// Orchestrations/s on the standalone host's Durable stack (in-process task hub server, Azure Storage provider on
/// Azurite): <c>count</c> orchestrations of three activities each, all started at once, against the same number of
/// one-activity orchestrations in the same run (baseline: what a step costs beyond the orchestration itself).
/// </summary>
public static class OrchestrationLoadDriver
{
    private const string ThreeSteps = nameof(ThreeSteps);
    private const string OneStep = nameof(OneStep);
    private const string Step = nameof(Step);

    public static async Task RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var partitions = args.Length > 1 ? args[1] : "4";
        Console.WriteLine($"Durable orchestrations on Azurite: {count} with 3 activities, {count} with 1, {partitions} partitions");

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ControlPlane:Storage:ConnectionString"] = Azurite.ConnectionString,
            ["ControlPlane:Storage:TablePrefix"] = Azurite.NewTablePrefix(),
            ["ControlPlane:Durable:PartitionCount"] = partitions,
            ["ControlPlane:Durable:MaxQueuePollingInterval"] = "00:00:00.250",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddStandaloneDurableTask(builder.Configuration, registry => registry
            .AddActivityFunc<int, int>(Step, (_, n) => n + 1)
            .AddOrchestratorFunc<int, int>(OneStep, (context, n) => context.CallActivityAsync<int>(Step, n))
            .AddOrchestratorFunc<int, int>(ThreeSteps, async (context, n) =>
            {
                for (var i = 0; i < 3; i++)
                {
                    n = await context.CallActivityAsync<int>(Step, n);
                }

                return n;
            }));
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        // Warm-up: the partition leases, JIT, the tables.
        await RunManyAsync(client, ThreeSteps, 5);

        var one = await RunManyAsync(client, OneStep, count);
        var three = await RunManyAsync(client, ThreeSteps, count);
        await host.StopAsync();

        Console.WriteLine();
        Console.WriteLine("| orchestration | orchestrations/s | activities/s | ratio to baseline |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| 1 activity (baseline) | {one:N1} | {one:N1} | 100% |");
        Console.WriteLine($"| 3 activities | {three:N1} | {three * 3:N1} | {three / one:P0} |");
    }

    private static async Task<double> RunManyAsync(DurableTaskClient client, string orchestrator, int count)
    {
        var stopwatch = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(i => client.ScheduleNewOrchestrationInstanceAsync(orchestrator, i)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var done = await Task.WhenAll(ids.Select(id => client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: false, timeout.Token)));
        var failed = done.Count(d => d.RuntimeStatus != OrchestrationRuntimeStatus.Completed);
        return failed == 0
            ? count / stopwatch.Elapsed.TotalSeconds
            : throw new InvalidOperationException($"{failed} of {count} {orchestrator} orchestrations did not complete.");
    }
}
