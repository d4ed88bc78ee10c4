using ControlPlane.Access;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Access;

public sealed class ApiKeyServiceTests
{
    private readonly InMemoryKeyStore _store = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    private ApiKeyService Service(string? adminKey = "configured-admin-key-123") => new(_store, _clock, adminKey);

    [Fact]
    public async Task Issue_StoresOnlyHashAndAuthenticatesThePlaintext()
    {
        var service = Service();

        var issued = (await service.IssueAsync(new IssueKeyRequest("ci", "ingest", ["search", "search"]))).Value!;
        var caller = await service.AuthenticateAsync(issued.Plaintext);

        Assert.NotNull(caller);
        Assert.Equal(ApiRole.Ingest, caller.Role);
        Assert.Equal(["search"], caller.Teams);
        var stored = _store.Keys[issued.Key.Id];
        // cpk_{id}_{secret}: the secret is everything after the id's separator (it may hold '_' itself).
        var secret = string.Join('_', issued.Plaintext.Split('_').Skip(2));
        Assert.NotEmpty(secret);
        Assert.DoesNotContain(secret, Convert.ToBase64String(stored.SecretHash));
        Assert.Equal(32, stored.SecretHash.Length);
    }

    [Fact]
    public async Task Authenticate_ConfiguredAdminKey_IsAdmin()
    {
        var caller = await Service().AuthenticateAsync("configured-admin-key-123");

        Assert.Equal(ApiRole.Admin, caller!.Role);
    }

    [Theory]
    [InlineData("")]
    [InlineData("cpk_")]
    [InlineData("cpk__secret")]
    [InlineData("cpk_ABCDEF_secret")]
    [InlineData("cpk_0123456789abcdef_")]
    [InlineData("something-else")]
    public async Task Authenticate_MalformedKeys_AreRejected(string presented)
    {
        Assert.Null(await Service().AuthenticateAsync(presented));
    }

    [Fact]
    public async Task Revoke_TakesEffectImmediatelyOnThisInstanceAndWithinCacheWindowElsewhere()
    {
        var here = Service();
        var elsewhere = Service();
        var issued = (await here.IssueAsync(new IssueKeyRequest("ci", "finance", null))).Value!;
        Assert.NotNull(await elsewhere.AuthenticateAsync(issued.Plaintext));

        await here.RevokeAsync(issued.Key.Id);

        Assert.Null(await here.AuthenticateAsync(issued.Plaintext));
        Assert.NotNull(await elsewhere.AuthenticateAsync(issued.Plaintext));
        _clock.Advance(ApiKeyService.CacheDuration);
        Assert.Null(await elsewhere.AuthenticateAsync(issued.Plaintext));
    }

    [Fact]
    public void Caller_IngestKey_MayActOnlyForItsTeams()
    {
        var ingest = new Caller("k", ApiRole.Ingest, ["search"]);
        var finance = new Caller("k", ApiRole.Finance, []);

        Assert.True(ingest.MayActForTeam("search"));
        Assert.False(ingest.MayActForTeam("Search"));
        Assert.False(finance.MayActForTeam("search"));
        Assert.True(new Caller("k", ApiRole.Admin, []).MayActForTeam("anything"));
    }

    [Fact]
    public async Task RevokeAndAuthenticate_IdThatNoIssuedKeyCouldHave_AnswerWithoutAskingStorage()
    {
        var service = Service();
        _store.Failure = new InvalidOperationException("storage must not be asked: it refuses keys over 1 KiB");
        var longHex = new string('a', 1100);

        Assert.False(await service.RevokeAsync(longHex));
        Assert.False(await service.RevokeAsync("not-hex"));
        Assert.Null(await service.AuthenticateAsync($"cpk_{longHex}_secret"));
    }

    [Fact]
    public async Task Authenticate_StorageDownAfterTheCacheExpired_KeepsTheKeyLastSeenButNotAnUnknownOne()
    {
        var service = new ApiKeyService(_store, _clock, null, ex => ex is TimeoutException);
        var known = (await service.IssueAsync(new IssueKeyRequest("app", "ingest", ["search"]))).Value!;
        var unseen = (await service.IssueAsync(new IssueKeyRequest("other", "ingest", ["search"]))).Value!;
        Assert.NotNull(await service.AuthenticateAsync(known.Plaintext));

        _clock.Advance(ApiKeyService.CacheDuration + TimeSpan.FromSeconds(1));
        _store.Failure = new TimeoutException("storage did not answer");

        Assert.Equal(ApiRole.Ingest, (await service.AuthenticateAsync(known.Plaintext))!.Role);
        await Assert.ThrowsAsync<TimeoutException>(async () => await service.AuthenticateAsync(unseen.Plaintext));
    }

    [Fact]
    public async Task Authenticate_StorageAnsweringWithAnError_IsNotMistakenForAnOutage()
    {
        var service = new ApiKeyService(_store, _clock, null, ex => ex is TimeoutException);
        var known = (await service.IssueAsync(new IssueKeyRequest("app", "ingest", ["search"]))).Value!;
        await service.AuthenticateAsync(known.Plaintext);

        _clock.Advance(ApiKeyService.CacheDuration + TimeSpan.FromSeconds(1));
        _store.Failure = new InvalidOperationException("not an outage");

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await service.AuthenticateAsync(known.Plaintext));
    }

    private sealed class InMemoryKeyStore : IApiKeyStore
    {
        public Dictionary<string, ApiKey> Keys { get; } = [];

        /// <summary>Thrown by every read while set: storage down.</summary>
        public Exception? Failure { get; set; }

        public Task CreateAsync(ApiKey key, CancellationToken cancellationToken = default)
        {
            Keys.Add(key.Id, key);
            return Task.CompletedTask;
        }

        public Task<ApiKey?> GetAsync(string id, CancellationToken cancellationToken = default) =>
            Failure is { } failure ? Task.FromException<ApiKey?>(failure) : Task.FromResult(Keys.GetValueOrDefault(id));

        public Task<ControlPlane.Paging.ListPage<ApiKey>> ListAsync(ControlPlane.Paging.PageRequest page, CancellationToken cancellationToken = default) =>
            Task.FromResult(page.Slice(Keys.Values, k => k.Id));

        public Task<bool> RevokeAsync(string id, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
        {
            if (Failure is { } failure)
            {
                return Task.FromException<bool>(failure);
            }

            if (!Keys.TryGetValue(id, out var key))
            {
                return Task.FromResult(false);
            }

            Keys[id] = key with { RevokedAt = revokedAt };
            return Task.FromResult(true);
        }
    }
}
