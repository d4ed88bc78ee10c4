using ControlPlane.Azure.Storage;

namespace ControlPlane.Testing;

/// <summary>Storage options and a table provider on Azurite with a table prefix of their own.</summary>
public sealed class TestStorage
{
    public TestStorage()
    {
        Options = new StorageOptions { ConnectionString = Azurite.ConnectionString, TablePrefix = Azurite.NewTablePrefix() };
        Tables = new TableProvider(Options);
    }

    public StorageOptions Options { get; }
    public TableProvider Tables { get; }
}
