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
    [InlineData("ControlPlane:Durable:WorkerId", "host one", "ControlPlane:Durable:WorkerId")]
    public async Task Start_InvalidSetting_FailsNamingTheSetting(string key, string value, string expected)
    {
        using var host = DurableTestHost.Build("t" + new string('a', 12), _ => { }, "UseDevelopmentStorage=true", new Dictionary<string, string?> { [key] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkerId_ByDefault_DiffersBetweenHostsOnOneMachine_AndASetOneIsKept()
    {
        // Two hosts on one machine (or in one process) with the same name would both hold every partition lease.
        Assert.NotEqual(new DurableTaskHostOptions().EffectiveWorkerId, new DurableTaskHostOptions().EffectiveWorkerId);
        Assert.StartsWith(Environment.MachineName, new DurableTaskHostOptions().EffectiveWorkerId, StringComparison.Ordinal);
        Assert.Equal("host-a", new DurableTaskHostOptions { WorkerId = "host-a" }.EffectiveWorkerId);
    }
}
