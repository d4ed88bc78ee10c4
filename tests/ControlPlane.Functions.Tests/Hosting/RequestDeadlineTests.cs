using ControlPlane.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace ControlPlane.Hosting;

public sealed class RequestDeadlineTests
{
    [Theory]
    [InlineData("Authorize", RequestDeadline.Authorize)]
    [InlineData("CheckKillSwitches", RequestDeadline.Authorize)]
    [InlineData("RecordUsage", RequestDeadline.Ingest)]
    [InlineData("ExportTraces", RequestDeadline.Ingest)]
    [InlineData("GetCosts", RequestDeadline.Request)]
    public void Function_OnAnAppsCallPath_HasTheShortDeadline(string function, RequestDeadline expected)
    {
        var trigger = Assert.IsType<HttpFunctionTrigger>(FunctionIndex.Find(function)!.Trigger);

        Assert.Equal(expected, trigger.Deadline);
    }

    [Fact]
    public void Defaults_AreTwoSecondsToAuthorizeAndTenToIngest()
    {
        var options = new DeadlineOptions();

        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)),
            (options.For(RequestDeadline.Authorize), options.For(RequestDeadline.Ingest), options.For(RequestDeadline.Request)));
    }

    [Fact]
    public async Task Start_DeadlineOutOfRange_StopsTheAppNamingTheSetting()
    {
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:Deadlines:Authorize"] = "00:00:00" });

        var failed = Assert.ThrowsAny<OptionsValidationException>(() => app.CreateClient());

        Assert.Contains("ControlPlane:Deadlines:Authorize", failed.Message);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:30:00")]
    public async Task Start_StorageNetworkTimeoutOutOfRange_StopsTheAppNamingTheSetting(string timeout)
    {
        await using var app = new ControlPlaneApp(new() { ["ControlPlane:Storage:NetworkTimeout"] = timeout });

        var failed = Assert.ThrowsAny<OptionsValidationException>(() => app.CreateClient());

        Assert.Contains("ControlPlane:Storage:NetworkTimeout", failed.Message);
    }
}
