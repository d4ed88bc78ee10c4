using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ControlPlane.Standalone.Durable;

public sealed class DurableTaskHostOptionsTests
{
    [Theory]
    [InlineData("ControlPlane:Durable:TaskHub", "9starts-with-digit", "ControlPlane:Durable:TaskHub")]
    [InlineData("ControlPlane:Durable:PartitionCount", "17", "ControlPlane:Durable:PartitionCount")]
    [InlineData("ControlPlane:Durable:MaxQueuePollingInterval", "00:00:00", "ControlPlane:Durable:MaxQueuePollingInterval")]
    [InlineData("ControlPlane:Durable:TaskHub", "hubhubhubhubhubhubhubhubhubhubhubhub", "at most 45 characters")]
    public async Task Start_InvalidSetting_FailsNamingTheSetting(string key, string value, string expected)
    {
        using var host = DurableTestHost.Build("t" + new string('a', 12), _ => { }, "UseDevelopmentStorage=true", new Dictionary<string, string?> { [key] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
