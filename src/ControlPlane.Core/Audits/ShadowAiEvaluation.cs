namespace ControlPlane.Audits;

/// <summary>What a shadow-AI run's evaluation produced, with the window it looked at.</summary>
public sealed record ShadowAiEvaluation(DateTimeOffset WindowStart, DateTimeOffset WindowEnd, IReadOnlyList<FindingCandidate> Candidates)
{
    /// <summary>Candidates per finding kind (a method, so that it is not serialized with the evaluation).</summary>
    public IReadOnlyDictionary<string, int> CountsByKind() =>
        Candidates.GroupBy(c => c.Kind, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
