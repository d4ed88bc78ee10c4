using System.Globalization;
using System.Text;

namespace ControlPlane.Azure.Storage;

/// <summary>
/// Makes client-chosen strings safe as PartitionKey / RowKey values. Table keys may not contain / \ # ? or control
/// characters; we escape those (and the escape character %) as %XXXX so distinct inputs stay distinct keys.
/// </summary>
public static class TableKeys
{
    public static string Escape(string value)
    {
        var needs = false;
        foreach (var c in value)
        {
            if (MustEscape(c))
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (MustEscape(c))
            {
                builder.Append('%').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// FNV-1a of the string, for spreading keys over partitions: stable across processes and versions
    /// (string.GetHashCode is randomised per process, so it cannot choose a storage partition).
    /// </summary>
    public static uint StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    /// <summary>OData string literal: single quotes doubled.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static bool MustEscape(char c) => c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c);
}
