using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Functions.Http;

/// <summary>
/// Writes money without the trailing zeros decimal arithmetic accumulates (<c>0.000285</c>, not
/// <c>0.000285000</c>). The value is unchanged: dividing by 1.000…0 only lowers the scale.
/// </summary>
public sealed class NormalizedDecimalConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDecimal();

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value / 1.0000000000000000000000000000m);
}
