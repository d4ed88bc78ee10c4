namespace ControlPlane.Access;

/// <summary>What a key may do.</summary>
public enum ApiRole
{
    /// <summary>Records usage and asks for authorization, only for the teams the key is bound to.</summary>
    Ingest,

    /// <summary>Reads costs and reports.</summary>
    Finance,

    /// <summary>Everything: budgets, prices, keys, kill-switch resets, audits.</summary>
    Admin,
}
