using System.Net;

namespace ControlPlane.Hosting;

public sealed class LocalTriggerRunnerTests
{
    [Fact]
    public async Task Runner_ClockPassesTheSchedule_FiresTheRetentionSweep()
    {
        await using var app = new ControlPlaneApp(new()
        {
            ["ControlPlane:Triggers:Enabled"] = "true",
            ["ControlPlane:Usage:Retention"] = "1.00:00:00",
        });
        var client = app.Client();
        await client.PostJsonAsync("/api/usage", """{"id":"old-1","team":"t","feature":"f","model":"gpt-4o","inputTokens":10,"outputTokens":10}""");

        // Move the fake clock past 03:30 UTC twice; the runner (started with the host) fires the sweep on its own.
        var gone = false;
        for (var step = 0; step < 40 && !gone; step++)
        {
            app.Clock.Advance(TimeSpan.FromHours(3));
            await Task.Delay(50);
            gone = (await client.GetAsync("/api/usage/old-1")).StatusCode == HttpStatusCode.NotFound;
        }

        Assert.True(gone, "The retention sweep did not run when the clock passed its schedule.");
        Assert.True(app.Clock.GetUtcNow() <= ControlPlaneApp.Start.AddDays(3), "The sweep ran later than its schedule allowed.");
    }
}
