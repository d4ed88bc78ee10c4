namespace ControlPlane.Access;

/// <summary>
/// An issued API key as stored: never the secret, only its SHA-256 hash. Keys carry 256 random bits, so a fast
/// hash is enough; a slow password hash would only slow every request.
/// </summary>
public sealed record ApiKey
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required ApiRole Role { get; init; }

    /// <summary>Teams an ingest key may record for. Empty for finance and admin keys.</summary>
    public IReadOnlyList<string> Teams { get; init; } = [];

    public required byte[] SecretHash { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>Who is calling, once their key has been checked.</summary>
/// <param name="KeyId">The key's id, safe to log (never the secret).</param>
public sealed record Caller(string KeyId, ApiRole Role, IReadOnlyList<string> Teams)
{
    /// <summary>Admins act for every team; ingest keys only for the teams they are bound to.</summary>
    public bool MayActForTeam(string team) =>
        Role == ApiRole.Admin || (Role == ApiRole.Ingest && Teams.Contains(team, StringComparer.Ordinal));

    /// <summary>Finance and admins read every team's records; ingest keys only their own teams'.</summary>
    public bool MayReadTeam(string team) => Role != ApiRole.Ingest || MayActForTeam(team);

    /// <summary>
    /// The team a query is about. An ingest key asks about its own teams only: it may leave the team out when it has
    /// one, and any other name (real or not) is refused the same way, so the answer reveals nothing of other teams.
    /// Other roles get the team they named (or none).
    /// </summary>
    public bool TryOwnTeam(string? team, out string? resolved)
    {
        resolved = Role == ApiRole.Ingest ? team ?? (Teams.Count == 1 ? Teams[0] : null) : team;
        return Role != ApiRole.Ingest || (resolved is not null && MayActForTeam(resolved));
    }
}
