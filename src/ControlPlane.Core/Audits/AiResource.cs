namespace ControlPlane.Audits;

/// <summary>
/// An AI resource found in a subscription or in an uploaded inventory: an Azure AI / OpenAI / Cognitive Services
/// account, a Machine Learning workspace, an AI Search service or a marketplace SaaS resource from an AI vendor.
/// </summary>
/// <param name="Id">The ARM resource id as the source spelled it. Compare ids with <see cref="AiResourceTypes.Normalize"/>: ARM ids are case-insensitive.</param>
/// <param name="Publisher">The marketplace publisher of a SaaS resource (its plan's publisher); null for the other types.</param>
/// <param name="Source"><c>arm</c> or <c>upload</c>.</param>
public sealed record AiResource(
    string Id,
    string Name,
    string Type,
    string? Kind,
    string? Location,
    string? ResourceGroup,
    IReadOnlyDictionary<string, string> Tags,
    string? SkuName,
    string? Publisher,
    string Source);
