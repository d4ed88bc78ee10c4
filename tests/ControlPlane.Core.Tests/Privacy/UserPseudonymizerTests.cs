using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Batch;
using ControlPlane.Budgets;
using ControlPlane.Pricing;
using ControlPlane.Telemetry;
using ControlPlane.Usage;

namespace ControlPlane.Privacy;

public sealed class UserPseudonymizerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly PriceSheet Sheet = PriceSheet.Create(DefaultPriceSheet.Load(), []);
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("a-test-key-of-at-least-thirty-two-bytes!");
    private static readonly byte[] OtherKey = Encoding.UTF8.GetBytes("another-test-key-of-thirty-two-bytes-too");
    private static readonly UserPseudonymizer Users = new(Key);
    private static readonly UsageEventValidator Validator = new(new UsageOptions(), Users);

    private static UsageEventRequest Call(string? user) => new()
    {
        Id = "e-1", Team = "search", Feature = "answers", User = user, Model = "gpt-4o", InputTokens = 100, OutputTokens = 50,
    };

    [Fact]
    public void Pseudonymize_SameIdTwice_GivesTheSamePseudonymOnAnyInstance()
    {
        var first = Users.Pseudonymize("alice");

        Assert.Equal(first, new UserPseudonymizer(Key).Pseudonymize("alice"));
        Assert.NotEqual(first, Users.Pseudonymize("bob"));
        Assert.NotEqual(first, Users.Pseudonymize("Alice"));
    }

    [Fact]
    public void Pseudonymize_IsTheFirst16BytesOfHmacSha256_Base64UrlWithPrefix()
    {
        var expected = "u_" + Convert.ToBase64String(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes("alice"))[..16])
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        var pseudonym = Users.Pseudonymize("alice");

        Assert.Equal(expected, pseudonym);
        Assert.Equal(UserPseudonymizer.PseudonymLength, pseudonym!.Length);
        Assert.True(UserPseudonymizer.IsPseudonym(pseudonym));
        Assert.DoesNotContain("alice", pseudonym, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Pseudonymize_AnotherKey_GivesAnotherPseudonym() =>
        Assert.NotEqual(Users.Pseudonymize("alice"), new UserPseudonymizer(OtherKey).Pseudonymize("alice"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Pseudonymize_NoUser_StaysNull(string? user) => Assert.Null(Users.Pseudonymize(user));

    [Fact]
    public void Pseudonymize_WithoutKey_KeepsTheIdAsSent()
    {
        Assert.False(UserPseudonymizer.None.Enabled);
        Assert.Equal("alice", UserPseudonymizer.None.Pseudonymize("alice"));
        Assert.Equal("", UserPseudonymizer.None.Pseudonymize(""));
        Assert.Equal("alice", UserPseudonymizer.None.Lookup("alice"));
    }

    [Fact]
    public void Pseudonymize_AValueSpeltLikeAPseudonym_IsStillHashed()
    {
        // What an app sends is hashed whatever it looks like: a raw id is never stored because of its spelling.
        var pseudonym = Users.Pseudonymize("alice")!;

        Assert.NotEqual(pseudonym, Users.Pseudonymize(pseudonym));
    }

    [Fact]
    public void Lookup_RawIdPseudonymOrUnattributed_NamesThePseudonymsData()
    {
        var pseudonym = Users.Pseudonymize("alice");

        Assert.Equal(pseudonym, Users.Lookup("alice"));
        Assert.Equal(pseudonym, Users.Lookup(pseudonym));
        Assert.Equal(CostQuery.Unattributed, Users.Lookup(CostQuery.Unattributed, CostQuery.Unattributed));
    }

    [Fact]
    public void Constructor_KeyShorterThan32Bytes_Throws() =>
        Assert.Throws<ArgumentException>(() => new UserPseudonymizer(new byte[31]));

    [Theory]
    [InlineData("short", false)]
    [InlineData("0123456789abcdef0123456789abcde", false)]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData(null, true)]
    [InlineData("", true)]
    public void PrivacyOptions_KeyUnder32Bytes_IsRefusedNamingTheSetting(string? key, bool valid)
    {
        var options = new PrivacyOptions { UserPseudonymKey = key };
        var results = new List<ValidationResult>();

        Assert.Equal(valid, System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        if (!valid)
        {
            Assert.Contains("ControlPlane:Privacy:UserPseudonymKey", Assert.Single(results).ErrorMessage);
        }
    }

    [Fact]
    public void PrivacyOptions_ToString_NeverShowsTheKey()
    {
        var options = new PrivacyOptions { UserPseudonymKey = "0123456789abcdef0123456789abcdef-secret" };

        Assert.DoesNotContain("secret", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateIngest_SingleAndBatch_StoreThePseudonym()
    {
        var single = new UsageIngestRequest { Id = "e-1", Team = "search", Feature = "answers", User = "alice", Model = "gpt-4o", InputTokens = 1, OutputTokens = 1 };
        var batch = new UsageIngestRequest { Events = [Call("alice"), Call(null)] };

        Assert.Equal(Users.Pseudonymize("alice"), Assert.Single(Validator.ValidateIngest(single, Sheet, Now).Value).User);
        var events = Validator.ValidateIngest(batch, Sheet, Now).Value;
        Assert.Equal([Users.Pseudonymize("alice"), null], events.Select(e => e.User));
    }

    [Fact]
    public void ValidateIngest_OverlongUser_IsRefusedBeforeHashing()
    {
        // The rules apply to what the client sent; hashing must not turn a refused id into an accepted one.
        var request = new UsageIngestRequest { Events = [Call(new string('a', UsageEventValidator.MaxNameLength + 1))] };

        Assert.False(Validator.ValidateIngest(request, Sheet, Now).IsValid);
    }

    [Fact]
    public void AuthorizeAndUsage_SameUser_SameAttribution()
    {
        // A reservation settles only with an event of its own attribution: both must hash the same way.
        var authorize = new AuthorizeRequest { Team = "search", Feature = "answers", User = "alice", Model = "gpt-4o", InputTokens = 100, MaxOutputTokens = 50 }
            .Validate(Validator, Sheet, new BudgetOptions(), Now).Value!;
        var usage = Assert.Single(Validator.ValidateIngest(new UsageIngestRequest { Events = [Call("alice")] }, Sheet, Now).Value);

        Assert.Equal(Users.Pseudonymize("alice"), authorize.Attribution.User);
        Assert.Equal(usage.Attribution, authorize.Attribution);
    }

    [Fact]
    public void BatchSubmission_User_IsStoredAsThePseudonym()
    {
        var submission = new BatchSubmissionRequest
        {
            Team = "search", Feature = "answers", User = "alice", Model = "gpt-4o-mini", MaxOutputTokens = 10,
            Body = System.Text.Json.JsonDocument.Parse("""{"messages":[{"role":"user","content":"hi"}]}""").RootElement,
        }.Validate(Validator, Sheet, new BudgetOptions(), new BatchOptions(), Now).Value!;

        Assert.Equal(Users.Pseudonymize("alice"), submission.Attribution.User);
    }

    [Fact]
    public void GenAiSpan_User_IsStoredAsThePseudonym()
    {
        var reader = new GenAiSpanReader(Validator);
        var attributes = new Dictionary<string, object>
        {
            ["gen_ai.operation.name"] = "chat", ["gen_ai.request.model"] = "gpt-4o", ["gen_ai.usage.input_tokens"] = 10L,
            ["gen_ai.usage.output_tokens"] = 5L, ["controlplane.feature"] = "answers", [GenAiAttributes.UserId] = "alice",
        };
        var at = (ulong)(Now.AddSeconds(-1) - DateTimeOffset.UnixEpoch).Ticks * 100;
        var span = new TelemetrySpan("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", at, at, TelemetrySpanStatus.Unset, attributes,
            new Dictionary<string, object> { ["service.name"] = "bot", ["controlplane.team"] = "search" });

        var e = Assert.Single(reader.Read([span], Sheet, Now, _ => true).Events).Event;

        Assert.Equal(Users.Pseudonymize("alice"), e.User);
    }

    [Fact]
    public void ValidateSingle_ServerRebuildingFromItsRecords_KeepsTheStoredPseudonym()
    {
        // The nightly batch records a settled request's usage with ValidateSingle from the stored (pseudonymized) user.
        var stored = Users.Pseudonymize("alice");

        var e = Validator.ValidateSingle(Call(stored), Sheet, Now).Value!;

        Assert.Equal(stored, e.User);
    }

    [Fact]
    public void RollupAggregateAndFold_KeepTheStoredPseudonym()
    {
        var stored = Users.Pseudonymize("alice");
        var e = Validator.ValidateSingle(Call(stored), Sheet, Now).Value!;
        var priced = new PricedUsageEvent(e, UsageCost.From(Sheet.Price(e.PricingContext, e.Tokens)));

        var rows = UsageRollup.Fold([.. UsageRollup.Aggregate([priced]), .. UsageRollup.Aggregate([priced with { Event = e with { Id = "e-2" } }])]);

        Assert.Equal(stored, Assert.Single(rows).User);
    }

    [Fact]
    public void CostQueryFilter_RawIdPseudonymOrNone_FilterByThePseudonym()
    {
        var pseudonym = Users.Pseudonymize("alice")!;
        var filters = new[] { KeyValuePair.Create("user", (IReadOnlyList<string>)["alice", "u_AAAAAAAAAAAAAAAAAAAAAA", CostQuery.Unattributed]) };

        var query = CostQuery.Parse("user", null, null, filters, Now, users: Users).Value!;

        Assert.Equal(new HashSet<string> { pseudonym, "u_AAAAAAAAAAAAAAAAAAAAAA", CostQuery.Unattributed }, Assert.Single(query.Filters).Values);
    }

    [Fact]
    public void CostQueryFilter_WithoutKey_KeepsTheRawId() =>
        Assert.Equal(["alice"], Assert.Single(CostQuery.Parse("user", null, null, [KeyValuePair.Create("user", (IReadOnlyList<string>)["alice"])], Now).Value!.Filters).Values);

    [Fact]
    public void UserBudgetScope_NamedByRawIdOrPseudonym_IsThePseudonymsBudget()
    {
        var pseudonym = Users.Pseudonymize("alice")!;

        Assert.Equal(new BudgetScope(BudgetScopeType.User, pseudonym),
            BudgetRequest.ScopeRequest.Validate(new() { Type = "user", Value = "alice" }, [], Users));
        Assert.Equal(new BudgetScope(BudgetScopeType.User, pseudonym),
            BudgetRequest.ScopeRequest.Validate(new() { Type = "user", Value = pseudonym }, [], Users));
        Assert.Equal(new BudgetScope(BudgetScopeType.Team, "alice"),
            BudgetRequest.ScopeRequest.Validate(new() { Type = "team", Value = "alice" }, [], Users));
    }
}
