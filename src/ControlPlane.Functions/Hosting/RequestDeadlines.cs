using ControlPlane.Azure.Storage;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// Begins an HTTP function's <see cref="StorageDeadline"/> once per request: the standalone host does it in a
/// middleware before authentication (which may read the caller's key from storage), the Functions host in
/// <see cref="HttpFunctionPipeline"/>, which the standalone host then finds already begun.
/// </summary>
public static class RequestDeadlines
{
    private static readonly object Key = new();

    /// <summary>The deadline begun for this request, or null if one was begun before (dispose only what this returns).</summary>
    public static StorageDeadline? Begin(HttpContext http, HttpFunctionTrigger trigger, DeadlineOptions options)
    {
        if (http.Items.ContainsKey(Key))
        {
            return null;
        }

        var deadline = StorageDeadline.Begin(options.For(trigger.Deadline));
        http.Items[Key] = deadline;
        return deadline;
    }
}
