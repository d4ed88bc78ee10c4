namespace ControlPlane.Azure.Storage;

/// <summary>
/// The storage clients' HTTP handler: cancels a request on the wire when the request's <see cref="StorageDeadline"/>
/// passes, and refuses to start one after it. It answers with <see cref="StorageDeadlineExceededException"/>, which
/// the SDK's retry policy does not retry, so a call abandoned at its deadline ends at once instead of retrying into a
/// storage account that is not answering.
/// </summary>
internal sealed class StorageDeadlineHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (StorageDeadline.Current is not { } deadline)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var remaining = deadline.Remaining;
        if (remaining <= TimeSpan.Zero)
        {
            throw new StorageDeadlineExceededException(deadline.Limit);
        }

        using var limited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limited.CancelAfter(remaining);
        try
        {
            return await base.SendAsync(request, limited.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && limited.IsCancellationRequested)
        {
            throw new StorageDeadlineExceededException($"Storage did not answer within the request's deadline ({deadline.Limit.TotalSeconds:0.###} s).", ex);
        }
    }
}
