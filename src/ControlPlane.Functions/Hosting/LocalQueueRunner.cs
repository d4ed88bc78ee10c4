using System.Text.Json;
using ControlPlane.Azure.Storage;

namespace ControlPlane.Functions.Hosting;

/// <summary>
/// Standalone mode's stand-in for the host's queue trigger: receives a queue's messages and runs its function on
/// each, with the host's semantics — delete on success; on failure the message reappears after the visibility
/// timeout and is retried; after <see cref="MaxDequeueCount"/> attempts it moves to <c>{queue}-poison</c>.
/// </summary>
public sealed class LocalQueueRunner(QueueProvider queues, FunctionInvoker invoker, ILogger<LocalQueueRunner> logger)
{
    /// <summary>As <c>extensions.queues.maxDequeueCount</c> in host.json.</summary>
    public const int MaxDequeueCount = 5;

    /// <summary>As <c>extensions.queues.visibilityTimeout</c> in host.json: how long a failed message waits before its retry. Default 30 s.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Receives up to 16 messages and runs the function on each; returns how many were received.</summary>
    public async Task<int> DrainOnceAsync(FunctionDefinition function, CancellationToken cancellationToken)
    {
        var trigger = (QueueTrigger)function.Trigger;
        var queue = await queues.GetQueueAsync(trigger.QueueName, cancellationToken).ConfigureAwait(false);
        var messages = (await queue.ReceiveMessagesAsync(16, VisibilityTimeout, cancellationToken).ConfigureAwait(false)).Value;
        foreach (var message in messages)
        {
            if (message.DequeueCount > MaxDequeueCount)
            {
                var poison = await queues.GetQueueAsync(trigger.QueueName + "-poison", cancellationToken).ConfigureAwait(false);
                await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                logger.QueueMessagePoisoned(function.Name, message.MessageId, message.DequeueCount, poison.Name);
                continue;
            }

            try
            {
                await invoker.InvokeAsync(function, ForMessage(message.Body.ToString(), message.MessageId, message.DequeueCount), cancellationToken).ConfigureAwait(false);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Left on the queue: it becomes visible again after the visibility timeout, as under the host.
                logger.QueueFunctionFailed(ex, function.Name, message.MessageId, message.DequeueCount);
            }
        }

        return messages.Length;
    }

    /// <summary>The invocation the host would post for a queue message.</summary>
    public static FunctionInvocation ForMessage(string body, string messageId, long dequeueCount) => new(
        new Dictionary<string, JsonElement> { [QueueTrigger.BindingName] = JsonSerializer.SerializeToElement(body) },
        new Dictionary<string, JsonElement>
        {
            ["Id"] = JsonSerializer.SerializeToElement(messageId),
            ["DequeueCount"] = JsonSerializer.SerializeToElement(dequeueCount),
        });
}
