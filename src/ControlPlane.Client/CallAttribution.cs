namespace ControlPlane.Client;

/// <summary>Who a call is charged to. Team and feature are required by the server.</summary>
public sealed record CallAttribution
{
    public required string Team { get; init; }
    public required string Feature { get; init; }
    public string? User { get; init; }
    public string? App { get; init; }
    public string? Environment { get; init; }
    public string? Session { get; init; }
    public string? PromptTemplate { get; init; }

    /// <summary>Options' attribution with <paramref name="overrides"/> (per-call properties) on top.</summary>
    public static CallAttribution From(ControlPlaneClientOptions options, IReadOnlyDictionary<string, object?>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? Pick(string key, string? fallback) =>
            overrides is not null && overrides.TryGetValue(key, out var value) && value is not null ? value.ToString() : fallback;

        var team = Pick(ControlPlaneProperties.Team, options.Team);
        var feature = Pick(ControlPlaneProperties.Feature, options.Feature);
        if (string.IsNullOrWhiteSpace(team) || string.IsNullOrWhiteSpace(feature))
        {
            throw new InvalidOperationException(
                $"ControlPlane needs a team and a feature for every call: set ControlPlaneClientOptions.Team/Feature or the call's ChatOptions.AdditionalProperties['{ControlPlaneProperties.Team}'/'{ControlPlaneProperties.Feature}'].");
        }

        return new CallAttribution
        {
            Team = team,
            Feature = feature,
            User = Pick(ControlPlaneProperties.User, options.User),
            App = options.App,
            Environment = options.Environment,
            Session = Pick(ControlPlaneProperties.Session, null),
            PromptTemplate = Pick(ControlPlaneProperties.PromptTemplate, options.PromptTemplate),
        };
    }
}
