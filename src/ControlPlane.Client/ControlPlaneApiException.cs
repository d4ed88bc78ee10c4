using System.Net;

namespace ControlPlane.Client;

/// <summary>ControlPlane answered with an error (problem+json): <see cref="Code"/> is the stable error code
/// (<c>usage_tokens_negative</c>, <c>auth_team_forbidden</c>, ...) when the server gave one.</summary>
public sealed class ControlPlaneApiException : Exception
{
    public ControlPlaneApiException(HttpStatusCode status, string? code, string message)
        : base(message)
    {
        Status = status;
        Code = code;
    }

    public ControlPlaneApiException()
    {
    }

    public ControlPlaneApiException(string message)
        : base(message)
    {
    }

    public ControlPlaneApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode Status { get; }
    public string? Code { get; }

    /// <summary>True for answers worth trying again later (408, 429, 5xx); false for a request the server refused.</summary>
    public bool IsTransient => ControlPlaneClient.IsTransient(Status);
}
