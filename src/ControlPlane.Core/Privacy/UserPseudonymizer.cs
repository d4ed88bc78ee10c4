using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Privacy;

/// <summary>
/// Replaces a user id with a keyed hash: <c>u_</c> + base64url of the first 16 bytes of HMAC-SHA256(key, UTF-8 id),
/// 24 characters. Stable (one id, one pseudonym, on every instance), keyed (without the key nobody can test a guess,
/// and another key gives other pseudonyms) and one-way. Applied once, where a user id enters (usage, spans,
/// authorize, deferrable requests, user budgets, filters); never to what ControlPlane rebuilds from its own records,
/// which already hold pseudonyms. Without a key (<see cref="None"/>) every id passes through unchanged.
/// </summary>
public sealed class UserPseudonymizer
{
    /// <summary>Shortest key accepted: HMAC-SHA256's own block of security.</summary>
    public const int MinKeyBytes = 32;

    public const string Prefix = "u_";

    /// <summary>Length of every pseudonym: the prefix and 22 base64url characters (16 bytes).</summary>
    public const int PseudonymLength = 24;

    private const int HashBytes = 16;

    private static readonly SearchValues<char> Base64UrlCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>No key: user ids are stored as sent.</summary>
    public static readonly UserPseudonymizer None = new(null);

    private readonly byte[]? _key;

    /// <param name="key">At least <see cref="MinKeyBytes"/> bytes, or null for none.</param>
    public UserPseudonymizer(byte[]? key)
    {
        if (key is { Length: < MinKeyBytes })
        {
            throw new ArgumentException($"A pseudonymization key must be at least {MinKeyBytes} bytes.", nameof(key));
        }

        _key = key is null ? null : [.. key];
    }

    public bool Enabled => _key is not null;

    /// <summary>
    /// The pseudonym of a user id as an app sent it. Without a key, the id itself. With one, a null or empty id
    /// stays null (no user is no user), and anything else is hashed, even a value that looks like a pseudonym: an
    /// app's raw id is never stored because of its spelling.
    /// </summary>
    public string? Pseudonymize(string? user)
    {
        if (_key is null)
        {
            return user;
        }

        if (string.IsNullOrEmpty(user))
        {
            return null;
        }

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(user), mac);
        return Prefix + Base64Url.EncodeToString(mac[..HashBytes]);
    }

    /// <summary>
    /// A user as a person asking names it (a filter, a user budget's scope, a proposal): a pseudonym copied from an
    /// answer is taken as it is, <paramref name="unnamed"/> (the "(none)" of cost groups) too, anything else is a
    /// raw id and is hashed. Nothing is stored by spelling alone except a pseudonym-shaped value, which can only
    /// name a pseudonym's data.
    /// </summary>
    public string? Lookup(string? user, string? unnamed = null)
    {
        if (_key is null || user is null || IsPseudonym(user) || (unnamed is not null && user == unnamed))
        {
            return user;
        }

        return Pseudonymize(user);
    }

    /// <summary>Whether <paramref name="value"/> is spelt like a pseudonym: <c>u_</c> and 22 base64url characters.</summary>
    public static bool IsPseudonym(string? value) =>
        value is { Length: PseudonymLength }
        && value.StartsWith(Prefix, StringComparison.Ordinal)
        && value.AsSpan(Prefix.Length).IndexOfAnyExcept(Base64UrlCharacters) < 0;
}
