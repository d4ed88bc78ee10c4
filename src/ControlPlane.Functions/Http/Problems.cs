using ControlPlane.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Functions.Http;

/// <summary>
/// RFC 9457 problem+json answers. Every problem carries a stable <c>code</c> clients can switch on; validation
/// problems also list every <c>errors[]</c> entry found, so a client fixes a request in one round trip.
/// </summary>
public static class Problems
{
    public const string StorageUnavailable = "storage_unavailable";
    public const string BudgetContention = "budget_contention";
    public const string InternalError = "internal_error";
    public const string NotFound = "not_found";
    public const string BodyMissing = "request_body_missing";
    public const string JsonInvalid = "request_json_invalid";
    public const string BodyTooLarge = "request_body_too_large";
    public const string UnsupportedMediaType = "request_unsupported_media_type";

    /// <summary>400 listing every problem; the top-level code is the first problem's.</summary>
    public static ProblemHttpResult Validation(IReadOnlyList<ValidationError> errors) =>
        TypedResults.Problem(
            title: "The request is not valid.",
            detail: errors.Count == 1 ? errors[0].Message : $"{errors.Count} problems were found; see errors.",
            statusCode: StatusCodes.Status400BadRequest,
            type: TypeFor(errors[0].Code),
            extensions: new Dictionary<string, object?>
            {
                ["code"] = errors[0].Code,
                ["errors"] = errors.Select(e => new { code = e.Code, field = e.Field, message = e.Message }).ToList(),
            });

    public static ProblemHttpResult Of(int status, string code, string title, string? detail = null) =>
        TypedResults.Problem(
            title: title,
            detail: detail,
            statusCode: status,
            type: TypeFor(code),
            extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ProblemHttpResult NotFoundOf(string code, string what) =>
        Of(StatusCodes.Status404NotFound, code, $"{what} was not found.");

    /// <summary>A stable URI per code (RFC 9457 §3.1.1); the codes are listed in the README.</summary>
    private static string TypeFor(string code) => $"urn:controlplane:problem:{code}";
}
