using Azure.Core;
using Azure.Core.Pipeline;

namespace ControlPlane.Azure.Storage;

/// <summary>How every storage client of the app talks to storage: retries, request deadlines, health reporting.</summary>
internal static class StorageClientSettings
{
    /// <summary>
    /// One connection pool for every storage client: the same as the SDK's default transport (no redirects, no
    /// cookies, no HttpClient timeout), with <see cref="StorageDeadlineHandler"/> in front.
    /// </summary>
    private static readonly HttpClient Http = new(new StorageDeadlineHandler(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
    }))
    {
        // The SDK bounds each try itself (NetworkTimeout); HttpClient's own 100 s limit would cut long blob transfers.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public static void Configure(ClientOptions options, StorageOptions storage, StorageHealth? health)
    {
        TableProvider.ConfigureRetry(options.Retry);
        options.Retry.NetworkTimeout = storage.NetworkTimeout;
        options.Transport = new HttpClientTransport(Http);
        options.AddPolicy(new StorageDeadlinePolicy(health), HttpPipelinePosition.PerCall);
    }
}
