using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Standalone.Durable;

/// <summary>
/// How the standalone host runs Durable orchestrations. Section <c>ControlPlane:Durable</c>.
/// Storage comes from <c>ControlPlane:Storage</c>; its <c>TablePrefix</c>, when set, is put in front of <see cref="TaskHub"/>
/// so deployments or test runs sharing one account never share a task hub.
/// </summary>
public sealed record DurableTaskHostOptions : IValidatableObject
{
    public const string SectionName = "ControlPlane:Durable";

    /// <summary>Longest task hub name the Azure Storage provider accepts, prefix included.</summary>
    public const int MaxTaskHubLength = 45;

    /// <summary>
    /// When false the host still serves <c>DurableTaskClient</c> (instances can be scheduled, queried and terminated in
    /// storage) but runs no orchestrator or activity; another host on the same task hub does. Default true.
    /// </summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Task hub name: 3-45 letters or digits starting with a letter (Azure Storage naming). Default <c>controlplane</c>.</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$", ErrorMessage = "ControlPlane:Durable:TaskHub must be 3-45 letters or digits starting with a letter.")]
    public string TaskHub { get; init; } = "controlplane";

    /// <summary>Control-queue partitions (1-16). More partitions spread orchestrations over more hosts; it cannot change once the task hub exists. Default 4.</summary>
    [Range(1, 16, ErrorMessage = "ControlPlane:Durable:PartitionCount must be between 1 and 16.")]
    public int PartitionCount { get; init; } = 4;

    /// <summary>
    /// Longest wait between polls of an idle queue. Lower reacts faster after a quiet spell and costs more storage
    /// transactions. Default 5 s.
    /// </summary>
    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a dequeued activity or orchestration message stays invisible to other hosts. A host killed while it
    /// holds one leaves the work to the next host after this long. Default 5 minutes (the Azure Storage provider's).
    /// </summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// This host's name in the task hub's partition leases. Hosts on one task hub must each have their own: two with
    /// the same name both believe they own a partition and process its orders side by side. The Azure Storage
    /// provider's default, the machine name, is the same for every host started on one machine (a developer's three
    /// instances, a test's, the load driver's), so the default here is the machine name, the process id and a random
    /// suffix. Set a fixed name when a host restarted after a crash should take its own leases back at once instead of
    /// waiting for them to expire (the provider's lease interval, 30 s).
    /// </summary>
    [RegularExpression("^[A-Za-z0-9._-]{1,100}$", ErrorMessage = "ControlPlane:Durable:WorkerId must be 1-100 letters, digits, '.', '_' or '-'.")]
    public string? WorkerId { get; init; }

    /// <summary>The worker id actually used: <see cref="WorkerId"/>, or one of this host's own (made once per options instance).</summary>
    public string EffectiveWorkerId => WorkerId ?? _ownWorkerId;

    private readonly string _ownWorkerId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>The task hub actually used: the storage table prefix followed by <see cref="TaskHub"/>.</summary>
    public string TaskHubName(string tablePrefix) => tablePrefix + TaskHub;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (VisibilityTimeout < TimeSpan.FromSeconds(5) || VisibilityTimeout > TimeSpan.FromHours(1))
        {
            yield return new("ControlPlane:Durable:VisibilityTimeout must be between 00:00:05 and 01:00:00.", [nameof(VisibilityTimeout)]);
        }

        if (MaxQueuePollingInterval <= TimeSpan.Zero || MaxQueuePollingInterval > TimeSpan.FromMinutes(1))
        {
            yield return new("ControlPlane:Durable:MaxQueuePollingInterval must be more than 0 and at most 00:01:00.", [nameof(MaxQueuePollingInterval)]);
        }
    }
}
