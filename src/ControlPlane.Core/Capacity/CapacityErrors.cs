namespace ControlPlane.Capacity;

/// <summary>Stable error codes for GPU pools.</summary>
public static class CapacityErrors
{
    public const string NameInvalid = "gpu_pool_name_invalid";
    public const string ScaleSetIdInvalid = "gpu_pool_scale_set_id_invalid";
    public const string BoundsInvalid = "gpu_pool_bounds_invalid";
    public const string BandInvalid = "gpu_pool_utilization_band_invalid";
    public const string QueueTargetInvalid = "gpu_pool_queue_target_invalid";
    public const string CooldownInvalid = "gpu_pool_cooldown_invalid";
    public const string ScheduleInvalid = "gpu_pool_schedule_invalid";
    public const string PriceInvalid = "gpu_pool_price_invalid";
    public const string TeamRequired = "gpu_pool_team_required";
    public const string ModeInvalid = "gpu_pool_mode_invalid";
    public const string NotFound = "gpu_pool_not_found";
    public const string SamplesEmpty = "gpu_samples_empty";
    public const string SamplesTooMany = "gpu_samples_too_many";
    public const string SampleInvalid = "gpu_sample_invalid";
    public const string SampleIdInvalid = "gpu_sample_id_invalid";
    public const string SampleWindowInvalid = "gpu_sample_window_invalid";
    public const string SampleGpusInvalid = "gpu_sample_gpus_invalid";
    public const string SampleMemoryInvalid = "gpu_sample_memory_invalid";
}
