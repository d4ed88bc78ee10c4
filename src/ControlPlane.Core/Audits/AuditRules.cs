using System.Globalization;
using System.Text.Json;

namespace ControlPlane.Audits;

/// <summary>What the usage rules share: subjects, proposed actions, number formatting.</summary>
internal static class AuditRules
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static FindingSubject FeatureSubject(string team, string feature) => new(SubjectTypes.Feature, feature, team);

    public static ProposedAction IsolateScope(string type, string value, string why) =>
        new(ProposedActionTypes.IsolateScope, why, JsonSerializer.SerializeToElement(new { scope = new { type, value } }, Json));

    /// <summary>A <c>create-budget</c> action whose <c>budget</c> is exactly the <c>PUT /api/budgets/{id}</c> body.</summary>
    public static ProposedAction CreateBudget(string budgetId, string scopeType, string scopeValue, string period, decimal limitUsd, string mode, string why) =>
        new(ProposedActionTypes.CreateBudget, why, JsonSerializer.SerializeToElement(new
        {
            budgetId,
            budget = new { scope = new { type = scopeType, value = scopeValue }, period, limitUsd, mode },
        }, Json));

    /// <summary>
    /// A budget id derived from a name: budget ids are letters, digits, '-', '_' and '.', at most 128; anything else
    /// becomes '-', and a short hash of the name keeps two names that map alike apart.
    /// </summary>
    public static string BudgetId(string prefix, string name)
    {
        var clean = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        if (clean == name && prefix.Length + name.Length <= 128)
        {
            return prefix + name;
        }

        var hash = Findings.Fingerprint("budget-id", new FindingSubject("name", name), null)[..8];
        var room = 128 - prefix.Length - hash.Length - 1;
        return $"{prefix}{(clean.Length > room ? clean[..room] : clean)}-{hash}";
    }

    public static string Usd(decimal value) => "$" + decimal.Round(value, 2).ToString("0.00", CultureInfo.InvariantCulture);

    public static string Number(decimal value) => decimal.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static string Day(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Hour(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:00 'UTC'", CultureInfo.InvariantCulture);

    public static Dictionary<string, decimal> Values(params (string Name, decimal Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
}
