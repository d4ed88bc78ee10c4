using ControlPlane.Paging;

namespace ControlPlane.Access;

/// <summary>Issued keys, addressed by id.</summary>
public interface IApiKeyStore
{
    Task CreateAsync(ApiKey key, CancellationToken cancellationToken = default);
    Task<ApiKey?> GetAsync(string id, CancellationToken cancellationToken = default);
    /// <summary>One page of keys in id order.</summary>
    Task<ListPage<ApiKey>> ListAsync(PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Marks the key revoked; false when there is no such key.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset revokedAt, CancellationToken cancellationToken = default);
}
