using System.Text.Json;
using ControlPlane.Azure.Storage;
using ControlPlane.Orchestrations;

namespace ControlPlane.Azure.Orchestrations;

/// <summary>Sends orchestration work items to the <c>orchestration-steps</c> queue the <c>AdvanceOrchestration</c> function listens on.</summary>
public sealed class QueueOrchestrationDispatcher(QueueProvider queues) : IOrchestrationDispatcher
{
    public const string QueueName = "orchestration-steps";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task SendAsync(OrchestrationWorkItem item, CancellationToken cancellationToken = default)
    {
        var queue = await queues.GetQueueAsync(QueueName, cancellationToken).ConfigureAwait(false);
        await queue.SendMessageAsync(JsonSerializer.Serialize(item, Json), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a message body; null when it is not a work item (the caller sends it to poison rather than retrying forever).</summary>
    public static OrchestrationWorkItem? Parse(string body)
    {
        try
        {
            var item = JsonSerializer.Deserialize<OrchestrationWorkItem>(body, Json);
            return item is { InstanceId.Length: > 0, Sequence: > 0 } ? item : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
