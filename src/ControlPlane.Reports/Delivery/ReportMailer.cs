using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace ControlPlane.Reports.Delivery;

/// <summary>One report email, ready to send: its HTML with the charts as related parts, and its attachments.</summary>
public sealed record ReportEmail(
    string MessageId, IReadOnlyList<string> To, string Subject, string Html, IReadOnlyList<(string ContentId, byte[] Png)> Images,
    IReadOnlyList<(string Name, string ContentType, byte[] Content)> Attachments);

/// <summary>Sends report emails; throws when the server did not accept the message, so the caller tries again later.</summary>
public interface IReportMailer
{
    Task SendAsync(ReportEmail email, CancellationToken cancellationToken);
}

/// <summary>
/// Sends over SMTP with MailKit: works with Azure Communication Services Email (smtp.azurecomm.net:587, STARTTLS,
/// the Entra app's credentials), Microsoft 365 and any relay. The charts travel as <c>multipart/related</c> parts
/// referenced by <c>cid:</c>, which email clients show without loading anything.
/// </summary>
public sealed class SmtpReportMailer(ReportEmailOptions options) : IReportMailer
{
    public async Task SendAsync(ReportEmail email, CancellationToken cancellationToken)
    {
        var message = new MimeMessage { Subject = email.Subject, MessageId = email.MessageId };
        message.From.Add(new MailboxAddress(options.FromName, options.From));
        foreach (var to in email.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        var body = new BodyBuilder { HtmlBody = email.Html };
        foreach (var (contentId, png) in email.Images)
        {
            var image = body.LinkedResources.Add(contentId + ".png", png, new ContentType("image", "png"));
            image.ContentId = contentId;
        }

        foreach (var (name, contentType, content) in email.Attachments)
        {
            body.Attachments.Add(name, content, ContentType.Parse(contentType));
        }

        message.Body = body.ToMessageBody();
        using var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        await client.ConnectAsync(options.Host ?? throw new InvalidOperationException("ControlPlane:Reports:Email:Host is not set."), options.Port, options.Security switch
        {
            SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.None => SecureSocketOptions.None,
            _ => SecureSocketOptions.StartTlsWhenAvailable,
        }, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(options.UserName))
        {
            await client.AuthenticateAsync(options.UserName, options.Password ?? string.Empty, cancellationToken).ConfigureAwait(false);
        }

        await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
        await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
    }
}
