using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace ControlPlane.AuditLog;

/// <summary>
/// Keeps the admin audit trail. The ordering that makes it durable: <see cref="BeginAsync"/> writes the entry as
/// <see cref="AdminAuditOutcome.Pending"/> with the target's state before, and only then may the change run; if that
/// write fails the caller must not make the change (the API answers 503 <c>audit_log_unavailable</c>).
/// <see cref="CompleteAsync"/> then records the outcome and the state after. A change therefore never happens without
/// an entry; at worst (a crash, or storage failing between the change and the completion) the entry stays pending.
/// </summary>
public sealed class AdminAuditService(IAdminAuditLog log, TimeProvider time, AuditLogOptions options)
{
    /// <summary>Longest target kept (a PUT of many price entries names them all).</summary>
    public const int MaxTargetLength = 1024;

    /// <summary>JSON properties whose values never enter the log, at any depth: a snapshot is evidence, not a key store.</summary>
    private static readonly HashSet<string> SecretProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        "secret", "secretHash", "key", "apiKey", "plaintext", "password", "connectionString", "accountKey", "topicKey",
    };

    internal const string Redacted = "[redacted]";

    private long _lastStampTicks;

    /// <summary>Writes the pending entry for a change about to be made. Throws when it cannot be stored: then make no change.</summary>
    /// <param name="target">The target, when the request names it before the change (null for a key still to be issued).</param>
    /// <param name="before">The target's state now, as the API would show it; null when it does not exist.</param>
    public async Task<AdminAuditEntry> BeginAsync(
        AdminActionKind kind, string? target, AuditActor actor, JsonNode? before, string? requestId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var entry = new AdminAuditEntry
        {
            Id = NewId(),
            At = NextStamp(),
            Kind = kind,
            Target = Bound(target),
            Actor = actor,
            Before = Snapshot(before),
            RequestId = requestId,
        };
        await log.AppendAsync(entry, cancellationToken).ConfigureAwait(false);
        return entry;
    }

    /// <summary>Records how the request ended and the target's state after it.</summary>
    /// <param name="target">The target if the change revealed it (a newly issued key's id); otherwise the one begun with is kept.</param>
    public async Task<AdminAuditEntry> CompleteAsync(
        AdminAuditEntry pending, AdminAuditOutcome outcome, int? statusCode, string? errorCode, string? target, JsonNode? after,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var afterSnapshot = Snapshot(after);
        var completed = pending with
        {
            Outcome = outcome,
            Target = Bound(target) ?? pending.Target,
            After = afterSnapshot,

            // Compared as serialized by the same serializer: a repeated request that changed nothing says so.
            Changed = !string.Equals(pending.Before?.Json, afterSnapshot?.Json, StringComparison.Ordinal),
            StatusCode = statusCode,
            ErrorCode = errorCode,
            CompletedAt = time.GetUtcNow(),
        };
        await log.CompleteAsync(completed, cancellationToken).ConfigureAwait(false);
        return completed;
    }

    public Task<AdminAuditPage> ListAsync(AdminAuditQuery query, CancellationToken cancellationToken = default) =>
        log.ListAsync(query, cancellationToken);

    /// <summary>Deletes entries older than <see cref="AuditLogOptions.Retention"/>; returns the cutoff and how many went.</summary>
    public async Task<(DateTimeOffset Cutoff, int Deleted)> PurgeAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow() - options.Retention;
        return (cutoff, await log.DeleteBeforeAsync(cutoff, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>A copy of <paramref name="node"/> with every secret-bearing property's value replaced by <c>[redacted]</c>.</summary>
    public static JsonNode? Redact(JsonNode? node)
    {
        var copy = node?.DeepClone();
        RedactInPlace(copy);
        return copy;
    }

    /// <summary>True for an id made by this service (16 lower-case hex digits).</summary>
    public static bool IsEntryId(string? id) => id is { Length: 16 } && id.All(char.IsAsciiHexDigitLower);

    private static AuditSnapshot? Snapshot(JsonNode? node) => node is null ? null : AuditSnapshot.Of(Redact(node)!.ToJsonString());

    private static void RedactInPlace(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (SecretProperties.Contains(name))
                    {
                        obj[name] = Redacted;
                    }
                    else
                    {
                        RedactInPlace(obj[name]);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RedactInPlace(item);
                }

                break;
        }
    }

    /// <summary>
    /// The clock's time, but always after the previous entry's from this instance (by one tick if need be): the log
    /// is ordered by time, and two changes in one clock tick must still list newest first.
    /// </summary>
    private DateTimeOffset NextStamp()
    {
        var now = time.GetUtcNow().UtcTicks;
        while (true)
        {
            var last = Interlocked.Read(ref _lastStampTicks);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastStampTicks, next, last) == last)
            {
                return new DateTimeOffset(next, TimeSpan.Zero);
            }
        }
    }

    private static string? Bound(string? target) => target is null || target.Length <= MaxTargetLength ? target : target[..(MaxTargetLength - 1)] + "…";

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
