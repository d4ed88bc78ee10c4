using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ControlPlane.Standalone.Durable;

/// <summary>
/// The kill test's child host: this test assembly run as a program. It starts the standalone Durable Task host on the
/// given task hub, starts <see cref="TestTasks.WaitThenAppend"/>, prints <see cref="WaitingLine"/> once the orchestration
/// waits on its durable timer, and runs until it is killed.
/// </summary>
public static class KillTargetProgram
{
    public const string WaitingLine = "waiting";

    public static async Task<int> Main(string[] args)
    {
        if (args is not [var connectionString, var tablePrefix, var instanceId])
        {
            await Console.Error.WriteLineAsync("usage: ControlPlane.Standalone.Tests <storage connection string> <table prefix> <instance id>");
            return 2;
        }

        using var host = await DurableTestHost.StartAsync(tablePrefix, TestTasks.Register, connectionString);
        var client = host.Services.GetRequiredService<DurableTaskClient>();
        await client.ScheduleNewOrchestrationInstanceAsync(TestTasks.WaitThenAppend, "child", new StartOrchestrationOptions(instanceId));

        // The custom status is saved with the timer, so once it is visible the timer is in storage too.
        while ((await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true))?.SerializedCustomStatus != "\"waiting\"")
        {
            await Task.Delay(100);
        }

        Console.WriteLine(WaitingLine);
        await host.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>Starts this assembly as a child host.</summary>
    public static Process Start(string connectionString, string tablePrefix, string instanceId)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(KillTargetProgram).Assembly.Location);
        start.ArgumentList.Add(connectionString);
        start.ArgumentList.Add(tablePrefix);
        start.ArgumentList.Add(instanceId);
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the child host.");
    }
}
