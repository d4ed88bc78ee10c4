namespace ControlPlane.Access;

/// <summary>Stable error codes for authentication, authorization and key management.</summary>
public static class AccessErrors
{
    public const string KeyMissing = "auth_key_missing";
    public const string KeyInvalid = "auth_key_invalid";
    public const string RoleForbidden = "auth_role_forbidden";
    public const string TeamForbidden = "auth_team_forbidden";
    public const string KeyNameRequired = "keys_name_required";
    public const string KeyNameTooLong = "keys_name_too_long";
    public const string KeyRoleInvalid = "keys_role_invalid";
    public const string KeyTeamsRequired = "keys_teams_required";
    public const string KeyTeamsNotAllowed = "keys_teams_not_allowed";
    public const string KeyTeamInvalid = "keys_team_invalid";
    public const string KeyNotFound = "keys_not_found";
}
