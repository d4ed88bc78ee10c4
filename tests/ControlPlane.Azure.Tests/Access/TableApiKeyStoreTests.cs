using ControlPlane.Access;
using ControlPlane.Azure.Access;
using ControlPlane.Testing;

namespace ControlPlane.Azure.Access;

public sealed class TableApiKeyStoreTests
{
    private readonly TableApiKeyStore _store = new(new TestStorage().Tables);

    [Fact]
    public async Task CreateGetListRevoke_RoundTripsTheKeyWithoutLosingTeamsOrHash()
    {
        var key = new ApiKey
        {
            Id = "0123456789abcdef", Name = "search prod", Role = ApiRole.Ingest, Teams = ["search", "ads"],
            SecretHash = [1, 2, 3, 4], CreatedAt = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero),
        };

        await _store.CreateAsync(key);
        var stored = await _store.GetAsync(key.Id);
        var revoked = await _store.RevokeAsync(key.Id, key.CreatedAt.AddHours(1));

        Assert.NotNull(stored);
        Assert.Equal(key.Teams, stored.Teams);
        Assert.Equal(key.SecretHash, stored.SecretHash);
        Assert.Equal(ApiRole.Ingest, stored.Role);
        Assert.True(revoked);
        Assert.Equal(key.CreatedAt.AddHours(1), (await _store.GetAsync(key.Id))!.RevokedAt);
        Assert.Single((await _store.ListAsync(new ControlPlane.Paging.PageRequest(10))).Items);
        Assert.False(await _store.RevokeAsync("ffffffffffffffff", key.CreatedAt));
        Assert.Null(await _store.GetAsync("ffffffffffffffff"));
    }
}
