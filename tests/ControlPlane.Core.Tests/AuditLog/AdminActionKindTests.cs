using ControlPlane.AuditLog;

namespace ControlPlane.AuditLog;

public sealed class AdminActionKindTests
{
    [Theory]
    [InlineData("budget.upsert")]
    [InlineData("gpu_pool.upsert")]
    [InlineData("finding.apply")]
    [InlineData("a.b.c")]
    public void IsValid_CapabilityDotVerb_True(string kind) => Assert.True(AdminActionKind.IsValid(kind));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("budget")]
    [InlineData("budget.")]
    [InlineData("Budget.Upsert")]
    [InlineData("budget..upsert")]
    [InlineData("budget.upsert ")]
    [InlineData("budget.up-sert")]
    public void IsValid_Malformed_False(string? kind) => Assert.False(AdminActionKind.IsValid(kind));

    [Fact]
    public void Constructor_Malformed_Throws() => Assert.Throws<ArgumentException>(() => new AdminActionKind("Budget"));

    [Fact]
    public void NewKind_DeclaredElsewhere_EqualsByValue()
    {
        // A later capability (applying an audit finding) declares its kind without changing the known list.
        var apply = new AdminActionKind("finding.apply");

        Assert.Equal(new AdminActionKind("finding.apply"), apply);
        Assert.NotEqual(AdminActionKind.BudgetUpsert, apply);
        Assert.Equal("finding.apply", apply.ToString());
    }

    [Fact]
    public void KnownKinds_AreDistinctAndWellFormed()
    {
        AdminActionKind[] known =
        [
            AdminActionKind.BudgetUpsert, AdminActionKind.BudgetDelete, AdminActionKind.PriceUpsert, AdminActionKind.KeyIssue,
            AdminActionKind.KeyRevoke, AdminActionKind.KillSwitchIsolate, AdminActionKind.KillSwitchReset, AdminActionKind.GpuPoolUpsert,
            AdminActionKind.OrchestrationStart, AdminActionKind.OrchestrationTerminate, AdminActionKind.OrchestrationRetry,
        ];

        Assert.Equal(known.Length, known.Distinct().Count());
        Assert.All(known, k => Assert.True(AdminActionKind.IsValid(k.ToString())));
    }
}
