using System.Text.RegularExpressions;

namespace ControlPlane.AuditLog;

/// <summary>
/// What an admin did, as <c>{capability}.{verb}</c> (<c>budget.upsert</c>, <c>key.revoke</c>, ...). An extensible enum
/// (Azure SDK style): the known kinds are static properties, and a later capability (applying an audit finding, say)
/// declares its own with <c>new AdminActionKind("finding.apply")</c> without touching this file.
/// </summary>
public readonly partial struct AdminActionKind : IEquatable<AdminActionKind>
{
    /// <summary>Longest kind name.</summary>
    public const int MaxLength = 64;

    private readonly string? _value;

    /// <param name="value">Lower-case segments of letters, digits and '_' joined by '.', at least two segments.</param>
    public AdminActionKind(string value)
    {
        if (!IsValid(value))
        {
            throw new ArgumentException($"'{value}' is not an admin action kind: use lower-case '{{capability}}.{{verb}}' of at most {MaxLength} characters.", nameof(value));
        }

        _value = value;
    }

    public static AdminActionKind BudgetUpsert { get; } = new("budget.upsert");
    public static AdminActionKind BudgetDelete { get; } = new("budget.delete");
    public static AdminActionKind PriceUpsert { get; } = new("price.upsert");
    public static AdminActionKind KeyIssue { get; } = new("key.issue");
    public static AdminActionKind KeyRevoke { get; } = new("key.revoke");
    public static AdminActionKind KillSwitchIsolate { get; } = new("killswitch.isolate");
    public static AdminActionKind KillSwitchReset { get; } = new("killswitch.reset");
    public static AdminActionKind GpuPoolUpsert { get; } = new("gpu_pool.upsert");
    public static AdminActionKind OrchestrationStart { get; } = new("orchestration.start");
    public static AdminActionKind OrchestrationTerminate { get; } = new("orchestration.terminate");
    public static AdminActionKind OrchestrationRetry { get; } = new("orchestration.retry");
    public static AdminActionKind TeamUpsert { get; } = new("team.upsert");
    public static AdminActionKind FeatureUpsert { get; } = new("feature.upsert");

    /// <summary>True for a well-formed kind name.</summary>
    public static bool IsValid(string? value) => value is { Length: > 0 and <= MaxLength } && KindPattern().IsMatch(value);

    public bool Equals(AdminActionKind other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is AdminActionKind other && Equals(other);

    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    public override string ToString() => _value ?? string.Empty;

    public static bool operator ==(AdminActionKind left, AdminActionKind right) => left.Equals(right);

    public static bool operator !=(AdminActionKind left, AdminActionKind right) => !left.Equals(right);

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex KindPattern();
}
