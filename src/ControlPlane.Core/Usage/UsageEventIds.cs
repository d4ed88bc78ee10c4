namespace ControlPlane.Usage;

/// <summary>
/// The namespace of usage event ids the server writes itself (the nightly batch's results, GPU pools' running
/// cost). Ingest refuses ids in it, so a client can never record one first and make the server's own record a
/// free duplicate, or charge another team with it.
/// </summary>
public static class UsageEventIds
{
    /// <summary>Every id the server writes starts with this.</summary>
    public const string ServerPrefix = "cp:";

    /// <summary>Prefixes server ids had before <see cref="ServerPrefix"/>; still refused, so ids already in the
    /// ledger under them cannot be claimed either.</summary>
    public static IReadOnlyList<string> LegacyServerPrefixes { get; } = ["batch:", "gpu-"];

    /// <summary>A server id: <see cref="ServerPrefix"/>, the writer's kind, then its parts, separated by ':'.
    /// Deterministic, because writers rely on the same id to record the same thing once.</summary>
    public static string Server(string kind, params ReadOnlySpan<string> parts) =>
        string.Concat(ServerPrefix, kind, ":", string.Join(':', parts));

    /// <summary>Whether a client may not use <paramref name="id"/>. Ids are compared ordinally, as the ledger compares them.</summary>
    public static bool IsReserved(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.StartsWith(ServerPrefix, StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var prefix in LegacyServerPrefixes)
        {
            if (id.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
