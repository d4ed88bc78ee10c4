using ControlPlane.Azure.Orchestrations;
using ControlPlane.Azure.Storage;
using ControlPlane.Functions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Hosting;

/// <summary>The standalone queue trigger behaves as the host's: retry on failure, poison after five attempts, delete on success.</summary>
public sealed class LocalQueueRunnerTests
{
    [Fact]
    public async Task DrainOnce_MessageKeepsFailing_RetriesFiveTimesThenMovesItToPoison()
    {
        await using var app = new ControlPlaneApp();
        var queues = app.Services.GetRequiredService<QueueProvider>();
        var runner = new LocalQueueRunner(queues, app.Services.GetRequiredService<FunctionInvoker>(), NullLogger<LocalQueueRunner>.Instance)
        {
            VisibilityTimeout = TimeSpan.FromSeconds(1), // the service's minimum
        };
        var function = FunctionCatalog.Find(FunctionCatalog.AdvanceOrchestration)!;
        var queue = await queues.GetQueueAsync(QueueOrchestrationDispatcher.QueueName);
        await queue.SendMessageAsync("not a work item");

        var received = 0;
        for (var attempt = 0; attempt < 6; attempt++)
        {
            // The failed message becomes visible again after the visibility timeout (real time: it is the queue's clock).
            for (var wait = 0; wait < 30; wait++)
            {
                var got = await runner.DrainOnceAsync(function, CancellationToken.None);
                received += got;
                if (got > 0)
                {
                    break;
                }

                await Task.Delay(200);
            }
        }

        Assert.Equal(6, received);
        Assert.Empty((await queue.PeekMessagesAsync(32)).Value);
        var poison = await queues.GetQueueAsync(QueueOrchestrationDispatcher.QueueName + "-poison");
        var poisoned = Assert.Single((await poison.PeekMessagesAsync(32)).Value);
        Assert.Equal("not a work item", poisoned.Body.ToString());
    }

    [Fact]
    public async Task Runner_Started_DeliversOrchestrationMessagesOnItsOwn()
    {
        await using var h = await Batch.BatchHarness.StartAsync(new() { ["ControlPlane:Triggers:Enabled"] = "true" });
        await h.Admin.PostJsonAsync("/api/orchestrations/nightly-batch/start", """{"instanceId":"local-1"}""");

        var status = "running";
        for (var i = 0; i < 100 && status == "running"; i++)
        {
            await Task.Delay(100);
            status = (await h.GetRunAsync("local-1")).GetProperty("status").GetString();
        }

        Assert.Equal("completed", status);
    }

    [Fact]
    public void Schedule_SettingGiven_OverridesTheCatalogDefault()
    {
        var timer = (TimerTrigger)FunctionCatalog.Find(FunctionCatalog.NightlyBatch)!.Trigger;
        var configured = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ControlPlane:Batch:Schedule"] = "0 30 23 * * *" }).Build();
        var empty = new ConfigurationBuilder().Build();

        var from = new DateTime(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTime(2026, 11, 23, 23, 30, 0, DateTimeKind.Utc), LocalTriggerRunner.Schedule(timer, configured).GetNextOccurrence(from));
        Assert.Equal(new DateTime(2026, 11, 24, 2, 0, 0, DateTimeKind.Utc), LocalTriggerRunner.Schedule(timer, empty).GetNextOccurrence(from));
    }
}
