using System.ComponentModel;
using ControlPlane.Functions.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;
using ControlPlane.Registry;

namespace ControlPlane.Functions.Registry;

/// <summary>
/// The teams and features registry: who owns a team's spend (cost center, owner, contact) and what a feature was
/// designed to cost and worth (owning team, tokens per call, calls per session, unit of value). Admins write it;
/// finance and admins read it. Reports and audits read it through the same store.
/// </summary>
[Tags("Registry")]
public sealed class RegistryApi(IRegistryStore store, TimeProvider time)
{
    private const int MaxBodyBytes = 16 * 1024;
    private const string TeamList = "teams";
    private const string FeatureList = "features";

    [Function(nameof(UpsertTeam))]
    [ProblemResponse(StatusCodes.Status400BadRequest, RegistryErrors.NameInvalid, RegistryErrors.FieldInvalid, RegistryErrors.ValueInvalid, RegistryErrors.EstimateInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.TeamUpsert))]
    [AcceptsJson(typeof(TeamProfileRequest))]
    [EndpointSummary("Create or replace a team's profile: cost center, owner, contact. The name is the one usage events carry.")]
    public async Task<Results<Ok<TeamProfile>, ProblemHttpResult>> UpsertTeam(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/teams/{team}")] HttpRequest request, [Description("The team's name.")] string team, CancellationToken cancellationToken)
    {
        var (profile, problem) = await JsonBody.ReadValidAsync<TeamProfileRequest, TeamProfile?>(request, MaxBodyBytes,
            body => body.Validate(team, time.GetUtcNow()), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        await store.UpsertTeamAsync(profile!, cancellationToken);
        return TypedResults.Ok(profile!);
    }

    [Function(nameof(GetTeam))]
    [ProblemResponse(StatusCodes.Status404NotFound, RegistryErrors.TeamNotFound)]
    [Authorize(Policies.Finance)]
    [EndpointSummary("One team's profile.")]
    public async Task<Results<Ok<TeamProfile>, ProblemHttpResult>> GetTeam(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/teams/{team}")] HttpRequest request, [Description("The team's name.")] string team, CancellationToken cancellationToken) =>
        await store.GetTeamAsync(team, cancellationToken) is { } profile
            ? TypedResults.Ok(profile)
            : Problems.NotFoundOf(RegistryErrors.TeamNotFound, $"Team '{team}'");

    [Function(nameof(ListTeams))]
    [Authorize(Policies.Finance)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Registered teams in name order. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<TeamList>, ProblemHttpResult>> ListTeams(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/teams")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(TeamList, request);
        if (problem is not null)
        {
            return problem;
        }

        var teams = await store.ListTeamsAsync(page!, cancellationToken);
        return TypedResults.Ok(new TeamList(teams.Items, PageQuery.Token(TeamList, teams.Next)));
    }

    [Function(nameof(UpsertFeature))]
    [ProblemResponse(StatusCodes.Status400BadRequest, RegistryErrors.NameInvalid, RegistryErrors.TeamRequired, RegistryErrors.FieldInvalid, RegistryErrors.ValueInvalid, RegistryErrors.EstimateInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.FeatureUpsert))]
    [AcceptsJson(typeof(FeatureProfileRequest))]
    [EndpointSummary("Create or replace a feature's profile: owning team, design estimate (expectedTokensPerCall, callsPerSession), unit of value and value per unit.")]
    public async Task<Results<Ok<FeatureProfile>, ProblemHttpResult>> UpsertFeature(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/features/{feature}")] HttpRequest request, [Description("The feature's name.")] string feature, CancellationToken cancellationToken)
    {
        var (profile, problem) = await JsonBody.ReadValidAsync<FeatureProfileRequest, FeatureProfile?>(request, MaxBodyBytes,
            body => body.Validate(feature, time.GetUtcNow()), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        await store.UpsertFeatureAsync(profile!, cancellationToken);
        return TypedResults.Ok(profile!);
    }

    [Function(nameof(GetFeature))]
    [ProblemResponse(StatusCodes.Status404NotFound, RegistryErrors.FeatureNotFound)]
    [Authorize(Policies.Finance)]
    [EndpointSummary("One feature's profile.")]
    public async Task<Results<Ok<FeatureProfile>, ProblemHttpResult>> GetFeature(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/features/{feature}")] HttpRequest request, [Description("The feature's name.")] string feature, CancellationToken cancellationToken) =>
        await store.GetFeatureAsync(feature, cancellationToken) is { } profile
            ? TypedResults.Ok(profile)
            : Problems.NotFoundOf(RegistryErrors.FeatureNotFound, $"Feature '{feature}'");

    [Function(nameof(ListFeatures))]
    [Authorize(Policies.Finance)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Registered features in name order. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<FeatureList>, ProblemHttpResult>> ListFeatures(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/features")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(FeatureList, request);
        if (problem is not null)
        {
            return problem;
        }

        var features = await store.ListFeaturesAsync(page!, cancellationToken);
        return TypedResults.Ok(new FeatureList(features.Items, PageQuery.Token(FeatureList, features.Next)));
    }
}

/// <summary>A page of teams; <c>next</c> is absent on the last page.</summary>
public sealed record TeamList(IReadOnlyList<TeamProfile> Teams, string? Next = null);

/// <summary>A page of features; <c>next</c> is absent on the last page.</summary>
public sealed record FeatureList(IReadOnlyList<FeatureProfile> Features, string? Next = null);
