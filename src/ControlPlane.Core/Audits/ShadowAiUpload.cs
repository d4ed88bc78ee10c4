namespace ControlPlane.Audits;

/// <summary>
/// An inventory an admin uploaded (the JSON <c>az resource list</c> prints), as kept for the next runs: the AI
/// resources and deployments found in it, and how many entries the file had in all.
/// </summary>
public sealed record ShadowAiUpload(
    DateTimeOffset UploadedAt,
    string UploadedBy,
    int EntriesInFile,
    IReadOnlyList<AiResource> Resources,
    IReadOnlyList<AiDeployment> Deployments)
{
    public ShadowAiInventory ToInventory() => new(Resources, Deployments, [], [],
        [$"Uploaded inventory of {UploadedAt:yyyy-MM-dd HH:mm} UTC by {UploadedBy}: {Resources.Count} AI resources, {Deployments.Count} deployments."]);
}
