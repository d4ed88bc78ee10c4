using System.Diagnostics;
using ControlPlane.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace ControlPlane.Standalone.Durable;

public sealed class StandaloneDurableTaskTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Orchestration_ThreeActivitiesAndTimer_CompletesWithOutput()
    {
        using var host = await DurableTestHost.StartAsync(Azurite.NewTablePrefix(), TestTasks.Register);
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        var elapsed = Stopwatch.StartNew();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(TestTasks.ThreeSteps, "start");
        var instance = await WaitAsync(client, id);
        elapsed.Stop();

        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        Assert.Equal("start+1.+2.+3.+timer", instance.ReadOutputAs<string>());
        Assert.True(elapsed.Elapsed >= TimeSpan.FromSeconds(1), $"the durable timer waits its second; the run took {elapsed.Elapsed}");
        await host.StopAsync();
    }

    [Fact]
    public async Task Orchestration_FailingActivityWithRetryPolicy_RetriesThenReportsFailure()
    {
        var attempts = 0;
        using var host = await DurableTestHost.StartAsync(Azurite.NewTablePrefix(), registry =>
        {
            registry.AddActivityFunc<string>("Flaky", (_, _) =>
            {
                Interlocked.Increment(ref attempts);
                throw new InvalidOperationException("provider said no");
            });
            registry.AddOrchestratorFunc<string>("CallsFlaky", async context =>
            {
                var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromMilliseconds(200)));
                return await context.CallActivityAsync<string>("Flaky", null, retry);
            });
        });
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        var id = await client.ScheduleNewOrchestrationInstanceAsync("CallsFlaky");
        var instance = await WaitAsync(client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, instance.RuntimeStatus);
        Assert.Equal(3, Volatile.Read(ref attempts));
        output.WriteLine($"failure details: {instance.FailureDetails?.ErrorType ?? "(none)"}; output: {instance.SerializedOutput}");

        // The Azure Storage provider keeps no structured FailureDetails in its Instances table: it stores the failure's
        // message as the output ("Task 'Flaky' (#n) failed with an unhandled exception: ..."), and that is what a client
        // of this backend sees.
        Assert.Contains("Flaky", instance.SerializedOutput, StringComparison.Ordinal);
        Assert.Contains("provider said no", instance.SerializedOutput, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task Host_RestartedOnSameTaskHub_RunsOrchestrationsWithoutWaitingForLeases()
    {
        var prefix = Azurite.NewTablePrefix();
        var first = await DurableTestHost.StartAsync(prefix, TestTasks.Register);
        var firstClient = first.Services.GetRequiredService<DurableTaskClient>();
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await WaitAsync(firstClient, await firstClient.ScheduleNewOrchestrationInstanceAsync(TestTasks.ThreeSteps, "a"))).RuntimeStatus);

        var stopping = Stopwatch.StartNew();
        await first.StopAsync();
        first.Dispose();
        output.WriteLine($"stop: {stopping.ElapsedMilliseconds} ms");

        var restarting = Stopwatch.StartNew();
        using var second = await DurableTestHost.StartAsync(prefix, TestTasks.Register);
        var client = second.Services.GetRequiredService<DurableTaskClient>();
        var started = restarting.Elapsed;
        var instance = await WaitAsync(client, await client.ScheduleNewOrchestrationInstanceAsync(TestTasks.ThreeSteps, "again"), TimeSpan.FromSeconds(20));
        output.WriteLine($"second host: started in {started.TotalMilliseconds:F0} ms, first orchestration done after {restarting.ElapsedMilliseconds} ms");

        // A lease left behind would hold the partitions ~30 s; 20 s (timer included) leaves room for a slow machine.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        Assert.True(restarting.Elapsed < TimeSpan.FromSeconds(20), $"restart took {restarting.Elapsed}");
        await second.StopAsync();
    }

    [Fact]
    public async Task Terminate_RunningOrchestration_EndsTerminatedWithReason()
    {
        using var host = await DurableTestHost.StartAsync(Azurite.NewTablePrefix(), registry =>
            registry.AddOrchestratorFunc("WaitsForever", context => context.WaitForExternalEvent<string>("never")));
        var client = host.Services.GetRequiredService<DurableTaskClient>();
        var id = await client.ScheduleNewOrchestrationInstanceAsync("WaitsForever");
        using (var running = new CancellationTokenSource(Generous))
        {
            await client.WaitForInstanceStartAsync(id, running.Token);
        }

        await client.TerminateInstanceAsync(id, "stopped by an admin");
        var instance = await WaitAsync(client, id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, instance.RuntimeStatus);
        Assert.Equal("stopped by an admin", instance.ReadOutputAs<string>());
        await host.StopAsync();
    }

    [Fact]
    public async Task TwoHosts_DifferentTablePrefixes_DoNotSeeEachOthersInstances()
    {
        using var one = await DurableTestHost.StartAsync(Azurite.NewTablePrefix(), TestTasks.Register);
        using var two = await DurableTestHost.StartAsync(Azurite.NewTablePrefix(), TestTasks.Register);
        var clientOne = one.Services.GetRequiredService<DurableTaskClient>();
        var clientTwo = two.Services.GetRequiredService<DurableTaskClient>();

        var id = await clientOne.ScheduleNewOrchestrationInstanceAsync(TestTasks.ThreeSteps, "one");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await WaitAsync(clientOne, id)).RuntimeStatus);

        Assert.Null(await clientTwo.GetInstanceAsync(id));
        var seenByTwo = new List<string>();
        await foreach (var instance in clientTwo.GetAllInstancesAsync())
        {
            seenByTwo.Add(instance.InstanceId);
        }

        Assert.Empty(seenByTwo);
        await Task.WhenAll(one.StopAsync(), two.StopAsync());
    }

    [Fact]
    public async Task KilledHost_OrchestrationWaitingOnTimer_CompletesAfterRestart()
    {
        var prefix = Azurite.NewTablePrefix();
        var id = "kill-" + prefix;
        using (var child = KillTargetProgram.Start(Azurite.ConnectionString, prefix, id))
        {
            var errors = child.StandardError.ReadToEndAsync();
            // Its log may come first: read until it says it is waiting (or stops saying anything).
            var ready = Task.Run(async () =>
            {
                while (await child.StandardOutput.ReadLineAsync() is { } line)
                {
                    if (line == KillTargetProgram.WaitingLine)
                    {
                        return true;
                    }
                }

                return false;
            });
            var waiting = await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(60))) == ready && await ready;

            // SIGKILL: no shutdown code runs, the leases stay where they were.
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            Assert.True(waiting, "the child host did not report its orchestration waiting on the timer: " + await errors);
        }

        using var host = await DurableTestHost.StartAsync(prefix, TestTasks.Register);
        var client = host.Services.GetRequiredService<DurableTaskClient>();
        var instance = await WaitAsync(client, id, TimeSpan.FromSeconds(60));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, instance.RuntimeStatus);
        Assert.Equal("child+woke.", instance.ReadOutputAs<string>());
        await host.StopAsync();
    }

    [Fact]
    [Trait("Category", "Measurement")]
    public async Task Throughput_FiftyOrchestrationsOfThreeActivities_AllComplete()
    {
        const int count = 50;
        using var host = await DurableTestHost.StartAsync(Azurite.NewTablePrefix(), registry =>
        {
            registry.AddActivityFunc<int, int>("Add", (_, n) => n + 1);
            registry.AddOrchestratorFunc<int, int>("AddThree", async (context, n) =>
            {
                for (var i = 0; i < 3; i++)
                {
                    n = await context.CallActivityAsync<int>("Add", n);
                }

                return n;
            });
        });
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        // Warm up: the first orchestration waits for the partition leases.
        await WaitAsync(client, await client.ScheduleNewOrchestrationInstanceAsync("AddThree", 0));
        var elapsed = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(n => client.ScheduleNewOrchestrationInstanceAsync("AddThree", n)));
        var results = await Task.WhenAll(ids.Select(id => WaitAsync(client, id, TimeSpan.FromMinutes(3))));
        elapsed.Stop();

        output.WriteLine($"{count} orchestrations x 3 activities in {elapsed.Elapsed.TotalSeconds:F1} s = {count / elapsed.Elapsed.TotalSeconds:F1} orchestrations/s");
        Assert.All(results, r => Assert.Equal(OrchestrationRuntimeStatus.Completed, r.RuntimeStatus));
        Assert.Equal(Enumerable.Range(3, count), results.Select(r => r.ReadOutputAs<int>()).Order());
        await host.StopAsync();
    }

    private static async Task<OrchestrationMetadata> WaitAsync(DurableTaskClient client, string id, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Generous);
        return await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cancel.Token);
    }
}
