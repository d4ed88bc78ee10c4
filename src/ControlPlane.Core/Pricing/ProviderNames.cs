using System.Collections.Frozen;

namespace ControlPlane.Pricing;

/// <summary>
/// How provider names are compared: case and surrounding whitespace do not matter, and a few spellings apps
/// commonly send are aliases of the price sheet's canonical name. A call is priced, recorded and matched to
/// budgets under the canonical name, so <c>" AOAI"</c> and <c>azure-openai</c> are the same provider.
/// </summary>
public static class ProviderNames
{
    /// <summary>Canonical name of Azure OpenAI in the shipped sheet.</summary>
    public const string AzureOpenAI = "azure-openai";

    /// <summary>Canonical name of Azure AI model inference (serverless models such as Llama) in the shipped sheet.</summary>
    public const string AzureAI = "azure-ai";

    /// <summary>Documented aliases (lower case) and the canonical provider each stands for.</summary>
    public static FrozenDictionary<string, string> Aliases { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["azure"] = AzureOpenAI,
        ["aoai"] = AzureOpenAI,
        ["azure_openai"] = AzureOpenAI,
        ["azureopenai"] = AzureOpenAI,
        ["azure_ai"] = AzureAI,
        ["azureai"] = AzureAI,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The canonical spelling of <paramref name="provider"/>: trimmed, lower case, aliases resolved;
    /// <c>null</c> when it is null or blank (no provider given).</summary>
    public static string? Normalize(string? provider)
    {
        if (string.IsNullOrWhiteSpace(provider))
        {
            return null;
        }

        var lower = provider.Trim().ToLowerInvariant();
        return Aliases.TryGetValue(lower, out var canonical) ? canonical : lower;
    }
}
