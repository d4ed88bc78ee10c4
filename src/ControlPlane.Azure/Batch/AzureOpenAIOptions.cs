using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Azure.Batch;

/// <summary>
/// How ControlPlane reaches Azure OpenAI's Files and Batches API for the nightly batch. Section <c>ControlPlane:AzureOpenAI</c>.
/// </summary>
public sealed record AzureOpenAIOptions
{
    public const string SectionName = "ControlPlane:AzureOpenAI";

    /// <summary>The resource endpoint, e.g. <c>https://my-aoai.openai.azure.com/</c>. Required.</summary>
    [Required(ErrorMessage = "ControlPlane:AzureOpenAI:Endpoint is required (the Azure OpenAI resource endpoint).")]
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// An <c>api-key</c> for the resource. Default none: <c>DefaultAzureCredential</c> (managed identity in Azure), which
    /// needs the <em>Cognitive Services OpenAI User</em> role on the resource.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// Retries of one request on 408/429/5xx and on no answer, honouring <c>Retry-After</c>. Default 3. What outlasts them
    /// surfaces as a transient <see cref="ControlPlane.Batch.BatchGatewayException"/> and the orchestration tries again later.
    /// </summary>
    [Range(0, 10, ErrorMessage = "ControlPlane:AzureOpenAI:MaxRetries must be 0-10.")]
    public int MaxRetries { get; init; } = 3;

    /// <summary>Timeout of one HTTP try. Default 100 s: an input file upload may be up to 200 MB.</summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Batches asked for per page when looking one up by its input file. Default 100, the service's maximum.</summary>
    [Range(1, 100, ErrorMessage = "ControlPlane:AzureOpenAI:BatchListPageSize must be 1-100.")]
    public int BatchListPageSize { get; init; } = 100;
}
