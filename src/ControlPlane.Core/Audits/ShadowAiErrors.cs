namespace ControlPlane.Audits;

/// <summary>Stable error codes of the shadow-AI audit's endpoints.</summary>
public static class ShadowAiErrors
{
    /// <summary>The uploaded inventory is not an array of resources (<c>az resource list</c> prints one).</summary>
    public const string InventoryShapeInvalid = "shadow_ai_inventory_shape_invalid";

    /// <summary>An uploaded resource lacks its id or type, or its id is not an ARM id.</summary>
    public const string InventoryResourceInvalid = "shadow_ai_inventory_resource_invalid";

    /// <summary>The uploaded inventory holds more resources than one upload may.</summary>
    public const string InventoryTooManyResources = "shadow_ai_inventory_too_many_resources";

    public const string ResourcesMissing = "ai_resources_missing";
    public const string ResourcesTooMany = "ai_resources_too_many";
    public const string ResourceIdInvalid = "ai_resource_id_invalid";
    public const string ResourceDuplicate = "ai_resource_duplicate";
    public const string TeamRequired = "ai_resource_team_required";
    public const string FieldInvalid = "ai_resource_field_invalid";
}
