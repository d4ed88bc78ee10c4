using ControlPlane.Azure.Batch;

namespace ControlPlane.Testing.Fakes;

/// <summary>Builds real <see cref="AzureOpenAIBatchGateway"/>s (Azure.AI.OpenAI SDK inside) that talk to a <see cref="FakeAzureOpenAIServer"/>.</summary>
public static class FakeAzureOpenAI
{
    /// <summary>Options pointing at <paramref name="server"/> with its key and no retries, so a 429 or 5xx surfaces at once.</summary>
    public static AzureOpenAIOptions Options(FakeAzureOpenAIServer server, int maxRetries = 0, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new AzureOpenAIOptions
        {
            Endpoint = server.BaseAddress,
            ApiKey = apiKey ?? server.ApiKey,
            MaxRetries = maxRetries,
            NetworkTimeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>A gateway for <paramref name="server"/>: plain http with the <c>api-key</c> header, as the SDK allows.</summary>
    /// <param name="apiKey">A different key, e.g. a wrong one to see the 401; default the server's.</param>
    public static AzureOpenAIBatchGateway CreateGateway(FakeAzureOpenAIServer server, int maxRetries = 0, string? apiKey = null) =>
        AzureOpenAIBatchGateway.Create(Options(server, maxRetries, apiKey));
}
