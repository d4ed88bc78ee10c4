using System.Text.Json;
using System.Text.Json.Serialization;
using ControlPlane.Validation;

namespace ControlPlane.Functions.Http;

/// <summary>
/// Enums in request bodies: exactly one name (any case), never a number or a comma-separated combination, which
/// <see cref="JsonStringEnumConverter"/> would turn into some other value without a word. A wrong value fails the
/// read with its JSON path and the accepted names. Writes camel-case names, as responses do.
/// </summary>
public sealed class StrictEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            return EnumNames.TryParse<T>(value, out var parsed)
                ? parsed
                : throw new JsonException($"The value must be one of {EnumNames.Allowed<T>()}");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));
    }
}
