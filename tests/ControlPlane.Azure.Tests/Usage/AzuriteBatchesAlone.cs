namespace ControlPlane.Azure.Usage;

/// <summary>
/// Tests whose exactness claims rest on entity group transactions being atomic run alone, not beside other test
/// classes. Azurite 3.37 (<c>LokiTableMetadataStore</c>) keeps one process-wide rollback list for every batch in
/// flight: a batch that fails (another test's contended budget row answering 412, say) re-inserts into its own table
/// every row the batches interleaved with it had touched, and clears their rollback state. We saw folded deltas come
/// back that way when these tests ran beside the rest of the suite. Azure Table storage isolates transactions; here
/// the only concurrency Azurite sees is the test's own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AzuriteBatchesAlone
{
    public const string Name = "Azurite batches alone";
}
