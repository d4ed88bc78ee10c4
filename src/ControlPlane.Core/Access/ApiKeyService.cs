using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Validation;

namespace ControlPlane.Access;

/// <summary>
/// Issues keys and checks presented ones. A key reads <c>cpk_{id}_{secret}</c>: the id finds the record in one
/// point read, the secret is compared by hash in constant time. Checked keys are cached briefly so the hot ingest
/// path does not read storage on every call; a revocation therefore takes effect within <see cref="CacheDuration"/>.
/// While storage is down (<paramref name="isStorageOutage"/>), a key checked before keeps its last known state, so
/// apps already calling are still known and authorize can decide by each budget's fail-closed setting instead of
/// refusing everyone; a key revoked during the outage stops working when storage answers again.
/// </summary>
public sealed class ApiKeyService(IApiKeyStore store, TimeProvider time, string? configuredAdminKey, Func<Exception, bool>? isStorageOutage = null)
{
    public const string Prefix = "cpk_";
    public const int MaxTeams = 100;
    public const int MaxNameLength = 256;

    /// <summary>The key id the configured (bootstrap) admin key acts under; no issued key has it (issued ids are hex).</summary>
    public const string BootstrapAdminKeyId = "config-admin";
    public static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(30);
    private const int IdLength = 16;

    private readonly byte[]? _adminKeyHash = string.IsNullOrEmpty(configuredAdminKey) ? null : Hash(configuredAdminKey);
    private readonly ConcurrentDictionary<string, (ApiKey? Key, DateTimeOffset LoadedAt)> _cache = new(StringComparer.Ordinal);

    /// <summary>The caller a presented key stands for, or null when it is not a valid, unrevoked key.</summary>
    public async ValueTask<Caller?> AuthenticateAsync(string presented, CancellationToken cancellationToken = default)
    {
        var presentedHash = Hash(presented);
        if (_adminKeyHash is not null && CryptographicOperations.FixedTimeEquals(presentedHash, _adminKeyHash))
        {
            return new Caller(BootstrapAdminKeyId, ApiRole.Admin, []);
        }

        if (!TryParse(presented, out var id, out var secret))
        {
            return null;
        }

        var key = await GetCachedAsync(id, cancellationToken).ConfigureAwait(false);
        if (key is null || key.RevokedAt is not null || !CryptographicOperations.FixedTimeEquals(Hash(secret), key.SecretHash))
        {
            return null;
        }

        return new Caller(key.Id, key.Role, key.Teams);
    }

    /// <summary>Validates and issues a key. The returned secret is shown once and never stored.</summary>
    public async Task<ValidationResult<IssuedKey?>> IssueAsync(IssueKeyRequest request, CancellationToken cancellationToken = default)
    {
        var errors = Validate(request, out var role);
        if (errors.Count > 0)
        {
            return new(null, errors);
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey
        {
            Id = id,
            Name = request.Name!,
            Role = role,
            Teams = request.Teams?.Distinct(StringComparer.Ordinal).ToList() ?? [],
            SecretHash = Hash(secret),
            CreatedAt = time.GetUtcNow(),
        };
        await store.CreateAsync(key, cancellationToken).ConfigureAwait(false);
        return new(new IssuedKey(key, $"{Prefix}{id}_{secret}"), errors);
    }

    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!IsIssuedId(id))
        {
            return false; // no key has it: never ask storage with a key it would refuse (over 1 KiB, control characters)
        }

        var revoked = await store.RevokeAsync(id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        _cache.TryRemove(id, out _);
        return revoked;
    }

    private static List<ValidationError> Validate(IssueKeyRequest request, out ApiRole role)
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors.Add(new(AccessErrors.KeyNameRequired, "name", "name is required."));
        }
        else if (request.Name.Length > MaxNameLength)
        {
            errors.Add(new(AccessErrors.KeyNameTooLong, "name", $"name is longer than {MaxNameLength} characters."));
        }

        if (!EnumNames.TryParse(request.Role, out role))
        {
            errors.Add(new(AccessErrors.KeyRoleInvalid, "role", $"role must be one of {EnumNames.Allowed<ApiRole>()}."));
            return errors;
        }

        var teams = request.Teams ?? [];
        if (role == ApiRole.Ingest && teams.Count == 0)
        {
            errors.Add(new(AccessErrors.KeyTeamsRequired, "teams", "An ingest key must be bound to at least one team."));
        }
        else if (role != ApiRole.Ingest && teams.Count > 0)
        {
            errors.Add(new(AccessErrors.KeyTeamsNotAllowed, "teams", "Only ingest keys are bound to teams."));
        }

        if (teams.Count > MaxTeams || teams.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 256))
        {
            errors.Add(new(AccessErrors.KeyTeamInvalid, "teams", $"teams holds at most {MaxTeams} non-empty names of up to 256 characters."));
        }

        return errors;
    }

    private async ValueTask<ApiKey?> GetCachedAsync(string id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(id, out var cached) && now - cached.LoadedAt < CacheDuration)
        {
            return cached.Key;
        }

        ApiKey? key;
        try
        {
            key = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (cached.LoadedAt != default && isStorageOutage?.Invoke(ex) == true)
        {
            return cached.Key;
        }

        _cache[id] = (key, now);
        return key;
    }

    /// <summary>Issued ids are 16 lower-case hex digits; anything else names no key.</summary>
    private static bool IsIssuedId(string id) => id.Length == IdLength && id.All(char.IsAsciiHexDigitLower);

    private static bool TryParse(string presented, out string id, out string secret)
    {
        id = secret = string.Empty;
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var separator = presented.IndexOf('_', Prefix.Length);
        if (separator <= Prefix.Length || separator == presented.Length - 1)
        {
            return false;
        }

        id = presented[Prefix.Length..separator];
        secret = presented[(separator + 1)..];
        return IsIssuedId(id);
    }

    internal static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary><c>POST /api/keys</c> body.</summary>
public sealed record IssueKeyRequest(string? Name, string? Role, IReadOnlyList<string>? Teams);

/// <summary>A newly issued key and its one-time plaintext.</summary>
public sealed record IssuedKey(ApiKey Key, string Plaintext);
