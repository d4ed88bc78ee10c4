namespace ControlPlane.AuditLog;

/// <summary>
/// The target's state before or after a change, as JSON. Storage bounds an entry, so a very large snapshot is kept
/// as its first characters with <see cref="Truncated"/> set and its full length, instead of failing the change.
/// </summary>
/// <param name="Json">The JSON text, or its first characters when <see cref="Truncated"/>.</param>
/// <param name="OriginalLength">Length of the whole JSON text, in characters.</param>
public sealed record AuditSnapshot(string Json, bool Truncated, int OriginalLength)
{
    /// <summary>A complete snapshot of <paramref name="json"/>.</summary>
    public static AuditSnapshot Of(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return new(json, false, json.Length);
    }

    /// <summary>This snapshot if it fits in <paramref name="maxChars"/>, else its first characters, marked truncated.</summary>
    public AuditSnapshot Truncate(int maxChars)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChars);
        if (Json.Length <= maxChars)
        {
            return this;
        }

        // Never split a surrogate pair: half a character is not valid UTF-16 and storage would refuse it.
        var cut = char.IsHighSurrogate(Json[maxChars - 1]) ? maxChars - 1 : maxChars;
        return new(Json[..cut], true, OriginalLength);
    }
}
