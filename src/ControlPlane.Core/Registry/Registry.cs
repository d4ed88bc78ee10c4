using System.Text.Json.Serialization;
using ControlPlane.Paging;
using ControlPlane.Usage;
using ControlPlane.Validation;

namespace ControlPlane.Registry;

/// <summary>A team as finance knows it: who owns its spend and whom to call about it.</summary>
public sealed record TeamProfile(string Team, string? CostCenter, string? Owner, string? Contact, DateTimeOffset UpdatedAt);

/// <summary>
/// A feature as its team designed it: the owning team, the design estimate audits compare traffic with (tokens per
/// call, calls per session), and the unit of value reports divide cost by (a resolved ticket, worth so much).
/// </summary>
public sealed record FeatureProfile(
    string Feature,
    string Team,
    long? ExpectedTokensPerCall,
    decimal? CallsPerSession,
    string? ValueUnit,
    decimal? ValuePerUnitUsd,
    DateTimeOffset UpdatedAt)
{
    /// <summary>What building the feature cost, once (for ROI and payback in reports).</summary>
    public decimal? FixedCostsUsd { get; init; }
}

public static class RegistryErrors
{
    public const string TeamNotFound = "team_not_found";
    public const string FeatureNotFound = "feature_not_found";
    public const string NameInvalid = "registry_name_invalid";
    public const string FieldInvalid = "registry_field_invalid";
    public const string TeamRequired = "registry_team_required";
    public const string EstimateInvalid = "registry_estimate_invalid";
    public const string ValueInvalid = "registry_value_invalid";
}

/// <summary>The registry of teams and features. Names are the ones usage events carry.</summary>
public interface IRegistryStore
{
    Task UpsertTeamAsync(TeamProfile team, CancellationToken cancellationToken = default);
    Task<TeamProfile?> GetTeamAsync(string team, CancellationToken cancellationToken = default);
    Task<ListPage<TeamProfile>> ListTeamsAsync(PageRequest page, CancellationToken cancellationToken = default);
    Task UpsertFeatureAsync(FeatureProfile feature, CancellationToken cancellationToken = default);
    Task<FeatureProfile?> GetFeatureAsync(string feature, CancellationToken cancellationToken = default);
    Task<ListPage<FeatureProfile>> ListFeaturesAsync(PageRequest page, CancellationToken cancellationToken = default);
}

/// <summary>Reads over the registry that several features need.</summary>
public static class RegistryStoreExtensions
{
    /// <summary>Team → cost center, for every team whose profile names one.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> CostCentersAsync(this IRegistryStore registry, CancellationToken cancellationToken = default) =>
        (await Pages.AllAsync<TeamProfile>(registry.ListTeamsAsync, cancellationToken).ConfigureAwait(false))
            .Where(t => t.CostCenter is not null)
            .ToDictionary(t => t.Team, t => t.CostCenter!, StringComparer.Ordinal);
}

/// <summary><c>PUT /api/teams/{team}</c>: every field optional; a PUT replaces the whole profile.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class TeamProfileRequest
{
    public string? CostCenter { get; set; }
    public string? Owner { get; set; }
    public string? Contact { get; set; }

    public ValidationResult<TeamProfile?> Validate(string team, DateTimeOffset now)
    {
        var errors = new List<ValidationError>();
        RegistryNames.Check(team, "team", errors);
        RegistryNames.CheckOptional(CostCenter, "costCenter", errors);
        RegistryNames.CheckOptional(Owner, "owner", errors);
        RegistryNames.CheckOptional(Contact, "contact", errors);
        return errors.Count > 0 ? new(null, errors) : new(new TeamProfile(team, Trim(CostCenter), Trim(Owner), Trim(Contact), now), []);
    }

    private static string? Trim(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary><c>PUT /api/features/{feature}</c>: the owning team is required; the estimate and the value are optional.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class FeatureProfileRequest
{
    public string? Team { get; set; }
    public long? ExpectedTokensPerCall { get; set; }
    public decimal? CallsPerSession { get; set; }
    public string? ValueUnit { get; set; }
    public decimal? ValuePerUnitUsd { get; set; }
    public decimal? FixedCostsUsd { get; set; }

    public ValidationResult<FeatureProfile?> Validate(string feature, DateTimeOffset now)
    {
        var errors = new List<ValidationError>();
        RegistryNames.Check(feature, "feature", errors);
        if (string.IsNullOrWhiteSpace(Team))
        {
            errors.Add(new(RegistryErrors.TeamRequired, "team", "team (the feature's owner) is required."));
        }
        else
        {
            RegistryNames.Check(Team, "team", errors);
        }

        if (ExpectedTokensPerCall is < 1 or > 10_000_000)
        {
            errors.Add(new(RegistryErrors.EstimateInvalid, "expectedTokensPerCall", "expectedTokensPerCall lies between 1 and 10,000,000."));
        }

        if (CallsPerSession is <= 0 or > 100_000)
        {
            errors.Add(new(RegistryErrors.EstimateInvalid, "callsPerSession", "callsPerSession is more than 0 and at most 100,000."));
        }

        RegistryNames.CheckOptional(ValueUnit, "valueUnit", errors);
        if (ValuePerUnitUsd is < 0 or > 1_000_000)
        {
            errors.Add(new(RegistryErrors.ValueInvalid, "valuePerUnitUsd", "valuePerUnitUsd lies between 0 and 1,000,000."));
        }

        if (FixedCostsUsd is < 0 or > 1_000_000_000)
        {
            errors.Add(new(RegistryErrors.ValueInvalid, "fixedCostsUsd", "fixedCostsUsd lies between 0 and 1,000,000,000."));
        }

        if (ValuePerUnitUsd is not null && string.IsNullOrWhiteSpace(ValueUnit))
        {
            errors.Add(new(RegistryErrors.ValueInvalid, "valueUnit", "A value per unit needs its unit (valueUnit, e.g. 'resolved ticket')."));
        }

        return errors.Count > 0
            ? new(null, errors)
            : new(new FeatureProfile(feature, Team!.Trim(), ExpectedTokensPerCall, CallsPerSession,
                string.IsNullOrWhiteSpace(ValueUnit) ? null : ValueUnit.Trim(), ValuePerUnitUsd, now) { FixedCostsUsd = FixedCostsUsd }, []);
    }
}

/// <summary>Registry names follow the usage events' rules (they are the same names): non-empty, no control characters.</summary>
internal static class RegistryNames
{
    public static void Check(string? name, string field, List<ValidationError> errors)
    {
        // No '/': the name is a URL path segment, and an encoded slash does not reach the function decoded.
        if (string.IsNullOrWhiteSpace(name) || name.Length > UsageEventValidator.MaxNameLength || name.Any(char.IsControl) || name != name.Trim()
            || name.Contains('/', StringComparison.Ordinal) || name.Contains("%2F", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new(RegistryErrors.NameInvalid, field, $"{field} is 1-{UsageEventValidator.MaxNameLength} characters, without '/', control characters or surrounding spaces."));
        }
    }

    public static void CheckOptional(string? value, string field, List<ValidationError> errors)
    {
        if (value is not null && (value.Length > UsageEventValidator.MaxNameLength || value.Any(char.IsControl)))
        {
            errors.Add(new(RegistryErrors.FieldInvalid, field, $"{field} is at most {UsageEventValidator.MaxNameLength} characters, without control characters."));
        }
    }
}
