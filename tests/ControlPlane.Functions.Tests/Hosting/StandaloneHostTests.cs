using System.Net;
using ControlPlane.Functions.Hosting;
using ControlPlane.Standalone.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Hosting;

/// <summary>What the standalone host adds around the functions: timers on their schedules and running one by hand.</summary>
public sealed class StandaloneHostTests
{
    [Fact]
    public void TimerSchedule_NamingAnAppSetting_IsReadFromConfigurationAndAMissingOneIsNamed()
    {
        var timer = new TimerFunctionTrigger("%ControlPlane__Batch__Schedule%");
        var set = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ControlPlane:Batch:Schedule"] = "0 30 23 * * *" }).Build();

        var schedule = TimerFunctions.Schedule(timer, set);
        var missing = Assert.Throws<InvalidOperationException>(() => TimerFunctions.Schedule(timer, new ConfigurationBuilder().Build()));

        Assert.Equal(new DateTimeOffset(2026, 11, 23, 23, 30, 0, TimeSpan.Zero), schedule.GetNextOccurrence(ControlPlaneApp.Start, TimeZoneInfo.Utc));
        Assert.Contains("ControlPlane__Batch__Schedule", missing.Message);
    }

    [Fact]
    public async Task Timers_NightlyScheduleNotSet_TheHostStartsOnTheDefaultSchedule()
    {
        // No ControlPlane:Batch:Schedule anywhere: standalone, the nightly timer falls back to 02:00 UTC.
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:Triggers:Enabled"] = "true" });
        using var client = app.Client(apiKey: null);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(1)); // a timer that cannot read its schedule stops the host by now
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
        Assert.Equal("0 0 2 * * *", app.Services.GetRequiredService<IConfiguration>()["ControlPlane:Batch:Schedule"]);
    }

    [Fact]
    public async Task RunFunction_ByHand_NeedsAnAdminKeyAndAnswersWhatTheRunDid()
    {
        await using var app = new ControlPlaneApp();
        var ingest = app.Client(await app.IssueKeyAsync("ingest", "search"));

        var anonymous = await app.Client(apiKey: null).PostAsync("/admin/functions/ReservationExpirySweep", null);
        var notAdmin = await ingest.PostAsync("/admin/functions/ReservationExpirySweep", null);
        var unknown = await app.Client().PostAsync("/admin/functions/NoSuchTimer", null);
        var httpFunction = await app.Client().PostAsync("/admin/functions/RecordUsage", null);
        var swept = await app.RunTimerAsync("ReservationExpirySweep");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        await unknown.AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
        await httpFunction.AssertProblemAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(0, swept.GetProperty("expired").GetInt32());
    }

    [Fact]
    public void EveryHttpFunction_SaysWhoMayCallIt()
    {
        // FunctionIndex refuses an HTTP function without [Authorize(policy)] or [AllowAnonymous]; only these are open.
        var open = FunctionIndex.Http.Where(f => f.Http.Policy is null).Select(f => f.Function.Name).Order(StringComparer.Ordinal);

        Assert.Equal(["ApiReference", "Dashboard", "DashboardAsset", "Health", "OpenApiDocument"], open);
    }
}
