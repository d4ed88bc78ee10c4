using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Where ControlPlane keeps its tables, queues and blobs. Section <c>ControlPlane:Storage</c>.
/// Locally a connection string (Azurite by default); in Azure an account name reached with managed identity,
/// because the deployed storage account allows no shared keys.
/// </summary>
public sealed record StorageOptions : IValidatableObject
{
    public const string SectionName = "ControlPlane:Storage";

    /// <summary>Storage connection string. Default <c>UseDevelopmentStorage=true</c> (Azurite on its default ports).</summary>
    public string ConnectionString { get; init; } = "UseDevelopmentStorage=true";

    /// <summary>When set, storage is reached at <c>https://{AccountName}.*.core.windows.net</c> with <c>DefaultAzureCredential</c> and the connection string is ignored.</summary>
    [RegularExpression("^[a-z0-9]{3,24}$", ErrorMessage = "ControlPlane:Storage:AccountName must be 3-24 lower-case letters or digits.")]
    public string? AccountName { get; init; }

    /// <summary>Prefix for every table and queue name, so several deployments or test runs can share one account. Default none.</summary>
    [RegularExpression("^([A-Za-z][A-Za-z0-9]{0,29})?$", ErrorMessage = "ControlPlane:Storage:TablePrefix must start with a letter and hold at most 30 letters or digits.")]
    public string TablePrefix { get; init; } = string.Empty;

    /// <summary>
    /// How long one try of a storage call waits for an answer before the SDK abandons it and tries again (five
    /// retries, backing off from 0.2 s to 5 s). HTTP requests are cut sooner by their deadline; background work
    /// (timers, orchestrations' activities) only by this, so a storage account that stops answering fails a timer run
    /// after about six times this, and the timer's next occurrence carries on. Default 30 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "ControlPlane:Storage:NetworkTimeout must be between 1 second and 10 minutes.")]
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AccountName is null && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new("Set ControlPlane:Storage:ConnectionString or ControlPlane:Storage:AccountName.", [nameof(ConnectionString)]);
        }
    }
}
