using Azure.Core;
using Azure.ResourceManager;

namespace ControlPlane.Azure.ResourceManager;

/// <summary>The Resource Manager client options every ControlPlane reader and writer of ARM starts from.</summary>
public static class ArmClientSettings
{
    /// <summary>
    /// Bounded exponential retries (the SDK's policy retries 408/429/5xx and waits at least the <c>Retry-After</c> ARM
    /// sends), and another cloud's or a local fake's endpoint when one is given.
    /// </summary>
    public static ArmClientOptions Create(Uri? endpoint, int maxRetries, TimeSpan retryDelay, TimeSpan maxRetryDelay, TimeSpan networkTimeout)
    {
        var clientOptions = new ArmClientOptions();
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.MaxRetries = maxRetries;
        clientOptions.Retry.Delay = retryDelay;
        clientOptions.Retry.MaxDelay = maxRetryDelay;
        clientOptions.Retry.NetworkTimeout = networkTimeout;
        if (endpoint is not null)
        {
            clientOptions.Environment = new ArmEnvironment(endpoint, endpoint.GetLeftPart(UriPartial.Authority));
        }

        return clientOptions;
    }
}
