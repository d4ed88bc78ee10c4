using System.Security.Claims;
using System.Text.Encodings.Web;
using ControlPlane.Access;
using ControlPlane.Functions.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ControlPlane.Functions.Access;

/// <summary>
/// Authenticates <c>x-api-key</c>. Missing or wrong keys get a 401 problem+json, a key without the role a 403, each
/// with its stable code. The presented secret is never logged.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyService keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "x-api-key";
    public const string TeamClaim = "controlplane:team";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values) || string.IsNullOrEmpty(values.ToString()))
        {
            return AuthenticateResult.NoResult();
        }

        var caller = await keys.AuthenticateAsync(values.ToString(), Context.RequestAborted).ConfigureAwait(false);
        if (caller is null)
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, caller.KeyId), new(ClaimTypes.Role, caller.Role.ToString()) };
        claims.AddRange(caller.Teams.Select(t => new Claim(TeamClaim, t)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var missing = !Request.Headers.ContainsKey(HeaderName);
        var problem = missing
            ? Problems.Of(StatusCodes.Status401Unauthorized, AccessErrors.KeyMissing, "An API key is required.", $"Send it in the {HeaderName} header.")
            : Problems.Of(StatusCodes.Status401Unauthorized, AccessErrors.KeyInvalid, "The API key is not valid.", "It is unknown, mistyped or revoked.");
        return problem.ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Of(StatusCodes.Status403Forbidden, AccessErrors.RoleForbidden, "This key's role may not call this endpoint.").ExecuteAsync(Context);
}

/// <summary>Authorization policies by role. Admin keys pass every policy.</summary>
public static class Policies
{
    public const string Ingest = "ingest";
    public const string Finance = "finance";
    public const string Admin = "admin";
    public const string AnyKey = "any-key";

    public static void AddControlPlanePolicies(this Microsoft.AspNetCore.Authorization.AuthorizationBuilder builder) => builder
        .AddPolicy(Ingest, p => p.RequireRole(nameof(ApiRole.Ingest), nameof(ApiRole.Admin)))
        .AddPolicy(Finance, p => p.RequireRole(nameof(ApiRole.Finance), nameof(ApiRole.Admin)))
        .AddPolicy(Admin, p => p.RequireRole(nameof(ApiRole.Admin)))
        .AddPolicy(AnyKey, p => p.RequireAuthenticatedUser());

    /// <summary>The authenticated caller of this request.</summary>
    public static Caller GetCaller(this ClaimsPrincipal user) => new(
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The request is not authenticated."),
        Enum.Parse<ApiRole>(user.FindFirstValue(ClaimTypes.Role)!),
        [.. user.FindAll(ApiKeyAuthenticationHandler.TeamClaim).Select(c => c.Value)]);
}
