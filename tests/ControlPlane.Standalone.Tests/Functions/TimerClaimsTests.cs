using ControlPlane.Azure.Storage;
using ControlPlane.Testing;

namespace ControlPlane.Standalone.Functions;

/// <summary>Several standalone hosts on one storage account run each occurrence of a timer once.</summary>
public sealed class TimerClaimsTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task TwentyHostsRacingForOneOccurrence_ExactlyOneRunsIt()
    {
        var prefix = Azurite.NewTablePrefix();
        var hosts = Enumerable.Range(0, 20).Select(_ => new TimerClaims(new TableProvider(new StorageOptions { ConnectionString = Azurite.ConnectionString, TablePrefix = prefix }))).ToList();

        var first = await Task.WhenAll(hosts.Select(h => Task.Run(() => h.TryClaimAsync("NightlyTimer", At, CancellationToken.None))));
        var next = await Task.WhenAll(hosts.Select(h => Task.Run(() => h.TryClaimAsync("NightlyTimer", At.AddDays(1), CancellationToken.None))));

        Assert.Equal(1, first.Count(won => won));
        Assert.Equal(1, next.Count(won => won));
    }

    [Fact]
    public async Task ClaimedOccurrence_IsNotRunAgainNorAnOlderOne_ButAnotherTimerIsIndependent()
    {
        var claims = new TimerClaims(new TableProvider(new StorageOptions { ConnectionString = Azurite.ConnectionString, TablePrefix = Azurite.NewTablePrefix() }));

        Assert.True(await claims.TryClaimAsync("Sweep", At, CancellationToken.None));
        Assert.False(await claims.TryClaimAsync("Sweep", At, CancellationToken.None));
        Assert.False(await claims.TryClaimAsync("Sweep", At.AddMinutes(-1), CancellationToken.None));
        Assert.True(await claims.TryClaimAsync("OtherTimer", At, CancellationToken.None));
        Assert.True(await claims.TryClaimAsync("Sweep", At.AddMinutes(1), CancellationToken.None));
    }
}
