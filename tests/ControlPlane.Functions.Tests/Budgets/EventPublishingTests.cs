using ControlPlane.Testing.Fakes;

namespace ControlPlane.Budgets;

/// <summary>Outbox events reach an Event Grid endpoint as CloudEvents 1.0, once, and survive the endpoint being down.</summary>
public sealed class EventPublishingTests
{
    [Fact]
    public async Task Publish_TopicDownThenUp_DeliversEachEventOnceAsCloudEvents()
    {
        await using var receiver = new FakeEventGridTopic();
        await using var app = new ControlPlaneApp(new()
        {
            ["ControlPlane:Events:TopicEndpoint"] = receiver.Endpoint,
            ["ControlPlane:Events:TopicKey"] = FakeEventGridTopic.DefaultKey,
        });
        var admin = app.Client();
        await admin.PutBudgetAsync("tiny", new { scope = new { type = "team", value = "search" }, period = "daily", limitUsd = 0.001m });
        await admin.PostUsageAsync("spend-1", 1000, 1000);

        // Topic unreachable: the invocation fails and the events stay in the outbox.
        var down = await admin.PostJsonAsync("/admin/functions/PublishBudgetEvents", "{}");
        Assert.False(down.IsSuccessStatusCode);
        var pending = await (await admin.GetAsync("/api/events")).JsonAsync();
        Assert.All(pending.GetProperty("events").EnumerateArray(), e => Assert.False(e.TryGetProperty("publishedAt", out _)));

        await receiver.StartAsync();
        (await admin.PostJsonAsync("/admin/functions/PublishBudgetEvents", "{}")).EnsureSuccessStatusCode();
        (await admin.PostJsonAsync("/admin/functions/PublishBudgetEvents", "{}")).EnsureSuccessStatusCode();

        Assert.Equal(3, receiver.Received.Count);
        Assert.All(receiver.ContentTypes, c => Assert.StartsWith("application/cloudevents-batch+json", c));
        var tripped = Assert.Single(receiver.Received, e => e.GetProperty("type").GetString() == "ControlPlane.KillSwitch.Tripped");
        Assert.Equal("1.0", tripped.GetProperty("specversion").GetString());
        Assert.Equal("/controlplane/budgets/tiny", tripped.GetProperty("source").GetString());
        Assert.False(string.IsNullOrEmpty(tripped.GetProperty("id").GetString()));
        Assert.Equal("tiny", tripped.GetProperty("data").GetProperty("budgetId").GetString());
        Assert.Equal("block", tripped.GetProperty("data").GetProperty("threshold").GetString());
        Assert.Equal(0.0125m, tripped.GetProperty("data").GetProperty("spentUsd").GetDecimal());
        var published = await (await admin.GetAsync("/api/events")).JsonAsync();
        Assert.All(published.GetProperty("events").EnumerateArray(), e => Assert.True(e.TryGetProperty("publishedAt", out _)));
    }

    [Fact]
    public async Task Publish_NoTopicConfigured_KeepsOutboxOnly()
    {
        await using var app = new ControlPlaneApp();

        var result = await (await app.Client().PostJsonAsync("/admin/functions/PublishBudgetEvents", "{}")).JsonAsync();

        Assert.Equal(0, result.GetProperty("published").GetInt32());
    }
}
