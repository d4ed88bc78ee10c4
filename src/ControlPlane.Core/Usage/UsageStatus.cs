using System.Globalization;

namespace ControlPlane.Usage;

/// <summary>
/// Whether a call's free-form <c>status</c> says it failed: an HTTP status of 400 or more, or a word for failure
/// (<c>error</c>, <c>failed</c>, <c>timeout</c>, <c>cancelled</c>, <c>content_filter</c>, …). No status, <c>ok</c>,
/// <c>success</c> or a 2xx is success. Unit economics divide value by successful calls.
/// </summary>
public static class UsageStatus
{
    private static readonly HashSet<string> FailureWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "error", "errored", "fail", "failed", "failure", "timeout", "timed_out", "cancelled", "canceled", "aborted",
        "content_filter", "refused", "rejected", "rate_limited", "throttled",
    };

    public static bool IsFailure(string? status) =>
        status is not null
        && (FailureWords.Contains(status.Trim())
            || (int.TryParse(status.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 400 and <= 599));
}
