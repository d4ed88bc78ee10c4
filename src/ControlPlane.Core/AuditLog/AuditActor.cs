using ControlPlane.Access;

namespace ControlPlane.AuditLog;

/// <summary>Who made an admin change: the API key, never its secret.</summary>
/// <param name="KeyId">The key's id (<see cref="ApiKeyService.BootstrapAdminKeyId"/> for the configured admin key).</param>
/// <param name="Name">The name the key was issued with, or <see cref="BootstrapName"/>.</param>
/// <param name="Bootstrap">True for the admin key from configuration (<c>ControlPlane__AdminKey</c>), which has no issued record.</param>
public sealed record AuditActor(string KeyId, string Name, ApiRole Role, bool Bootstrap)
{
    public const string BootstrapName = "bootstrap admin key (ControlPlane__AdminKey)";

    /// <summary>Longest name kept; issued names are at most <see cref="ApiKeyService.MaxNameLength"/>.</summary>
    public const int MaxNameLength = ApiKeyService.MaxNameLength;

    /// <summary>The configured admin key.</summary>
    public static AuditActor BootstrapAdmin { get; } = new(ApiKeyService.BootstrapAdminKeyId, BootstrapName, ApiRole.Admin, Bootstrap: true);
}
