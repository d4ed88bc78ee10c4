namespace ControlPlane.Audits;

/// <summary>The latest uploaded inventory: an upload replaces the one before.</summary>
public interface IShadowAiUploadStore
{
    Task SaveAsync(ShadowAiUpload upload, CancellationToken cancellationToken = default);

    /// <summary>The latest upload, or null when none was made.</summary>
    Task<ShadowAiUpload?> GetAsync(CancellationToken cancellationToken = default);
}
