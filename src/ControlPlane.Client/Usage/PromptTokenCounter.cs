using Microsoft.ML.Tokenizers;

namespace ControlPlane.Client.Usage;

/// <summary>
/// Counts prompt tokens locally with the <c>o200k_base</c> encoding (GPT-4o, GPT-4.1, o-series), plus the few tokens
/// the chat format adds per message. Other models' tokenizers differ somewhat; the count only sizes the reservation,
/// and the usage the provider reports is what is charged (an underestimate shows as <c>ceilingBreach</c>).
/// </summary>
public static class PromptTokenCounter
{
    private const int TokensPerMessage = 3;
    private const int TokensPerReply = 3;
    private static readonly Lazy<Tokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public static int CountText(string? text) => string.IsNullOrEmpty(text) ? 0 : Tokenizer.Value.CountTokens(text);

    /// <summary>Tokens of a chat prompt given as each message's text.</summary>
    public static long CountMessages(IEnumerable<string?> messageTexts)
    {
        ArgumentNullException.ThrowIfNull(messageTexts);
        long total = TokensPerReply;
        foreach (var text in messageTexts)
        {
            total += TokensPerMessage + CountText(text);
        }

        return total;
    }
}
