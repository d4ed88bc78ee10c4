using System.ComponentModel;
using ControlPlane.Access;
using ControlPlane.Functions.AuditLog;
using ControlPlane.Functions.Http;

namespace ControlPlane.Functions.Access;

/// <summary>Key management (admin): issue, list, revoke. Secrets are shown once, at issue.</summary>
[Tags("Keys")]
public sealed class KeysApi(ApiKeyService keys, IApiKeyStore store)
{
    private const int MaxBodyBytes = 64 * 1024;
    private const string ListName = "keys";

    [Function(nameof(IssueKey))]
    [ProblemResponse(StatusCodes.Status400BadRequest, AccessErrors.KeyNameRequired, AccessErrors.KeyNameTooLong, AccessErrors.KeyRoleInvalid, AccessErrors.KeyTeamsRequired, AccessErrors.KeyTeamsNotAllowed, AccessErrors.KeyTeamInvalid)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.KeyIssue))]
    [AcceptsJson(typeof(IssueKeyRequest))]
    [EndpointSummary("Issue an ingest key bound to teams, or a finance or admin key. The secret is in this answer only.")]
    public async Task<Results<Created<IssuedKeyResponse>, ProblemHttpResult>> IssueKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/keys")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<IssueKeyRequest>(request, MaxBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var issued = await keys.IssueAsync(body!, cancellationToken);
        if (!issued.IsValid)
        {
            return Problems.Validation(issued.Errors);
        }

        var key = issued.Value!.Key;
        return TypedResults.Created($"/api/keys/{key.Id}",
            new IssuedKeyResponse(key.Id, issued.Value.Plaintext, key.Name, key.Role, key.Teams, key.CreatedAt));
    }

    [Function(nameof(GetCurrentKey))]
    [Authorize(Policies.AnyKey)]
    [EndpointSummary("Who this key is: its id, role and (ingest keys) teams. The dashboard asks this when it signs in.")]
    public Ok<CurrentKeyResponse> GetCurrentKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/me")] HttpRequest request)
    {
        var caller = request.HttpContext.User.GetCaller();
        return TypedResults.Ok(new CurrentKeyResponse(caller.KeyId, caller.Role, caller.Teams));
    }

    [Function(nameof(ListKeys))]
    [Authorize(Policies.Admin)]
    [QueryParameter("limit", PageQuery.LimitDescription, Type = typeof(int))]
    [QueryParameter("next", PageQuery.NextDescription)]
    [EndpointSummary("Issued keys in id order, without secrets. Pages with ?limit= (default 100, at most 1,000) and ?next=.")]
    public async Task<Results<Ok<KeyListResponse>, ProblemHttpResult>> ListKeys(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/keys")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (page, problem) = PageQuery.Read(ListName, request);
        if (problem is not null)
        {
            return problem;
        }

        var listed = await store.ListAsync(page!, cancellationToken);
        return TypedResults.Ok(new KeyListResponse(
            [.. listed.Items.Select(k => new KeySummary(k.Id, k.Name, k.Role, k.Teams, k.CreatedAt, k.RevokedAt))],
            PageQuery.Token(ListName, listed.Next)));
    }

    [Function(nameof(RevokeKey))]
    [ProblemResponse(StatusCodes.Status404NotFound, AccessErrors.KeyNotFound)]
    [Authorize(Policies.Admin)]
    [Audited(nameof(AdminActions.KeyRevoke))]
    [EndpointSummary("Revoke a key; other instances stop accepting it within 30 seconds.")]
    public async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/keys/{id}")] HttpRequest request, [Description("The key's id (not its secret).")] string id, CancellationToken cancellationToken) =>
        await keys.RevokeAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFoundOf(AccessErrors.KeyNotFound, $"Key '{id}'");
}

/// <summary><c>POST /api/keys</c> answer; <c>key</c> is the secret, shown this once.</summary>
public sealed record IssuedKeyResponse(string Id, string Key, string Name, ApiRole Role, IReadOnlyList<string> Teams, DateTimeOffset CreatedAt);

public sealed record KeySummary(string Id, string Name, ApiRole Role, IReadOnlyList<string> Teams, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A page of keys; <c>next</c> is absent on the last page.</summary>
public sealed record KeyListResponse(IReadOnlyList<KeySummary> Keys, string? Next = null);

/// <summary><c>GET /api/me</c> answer.</summary>
public sealed record CurrentKeyResponse(string KeyId, ApiRole Role, IReadOnlyList<string> Teams);
