using System.ComponentModel.DataAnnotations;
using System.Text;

namespace ControlPlane.Privacy;

/// <summary>
/// What ControlPlane keeps about people. Section <c>ControlPlane:Privacy</c>. Default: no key, user ids are stored
/// as the apps send them.
/// </summary>
public sealed record PrivacyOptions : IValidatableObject
{
    public const string SectionName = "ControlPlane:Privacy";
    public const string UserPseudonymKeySetting = SectionName + ":" + nameof(UserPseudonymKey);

    /// <summary>
    /// A secret of at least <see cref="UserPseudonymizer.MinKeyBytes"/> bytes (UTF-8). When set, every user id is
    /// replaced where it enters by <see cref="UserPseudonymizer"/>'s keyed hash, so nothing stores or logs the raw
    /// id. Changing it starts new pseudonyms: spend before and after no longer groups together. Default none.
    /// </summary>
    public string? UserPseudonymKey { get; init; }

    /// <summary>The key's bytes, or null when none is configured (an empty setting counts as none, as an optional
    /// Bicep parameter left empty deploys it).</summary>
    public byte[]? UserPseudonymKeyBytes => string.IsNullOrEmpty(UserPseudonymKey) ? null : Encoding.UTF8.GetBytes(UserPseudonymKey);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (UserPseudonymKeyBytes is { Length: < UserPseudonymizer.MinKeyBytes } key)
        {
            yield return new ValidationResult(
                $"{UserPseudonymKeySetting} must be at least {UserPseudonymizer.MinKeyBytes} bytes; it has {key.Length}. Use a random secret, e.g. openssl rand -base64 48.",
                [nameof(UserPseudonymKey)]);
        }
    }

    /// <summary>Never prints the key: options end up in logs and exception messages.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(nameof(UserPseudonymKey)).Append(" = ").Append(UserPseudonymKey is null ? "null" : "***");
        return true;
    }
}
