package dev.pgconvex.transformer.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ValueConverterTest {
  private static ColumnMapping col(String pgType, FieldType type) {
    return new ColumnMapping("c", "f", pgType, type, null, true, null);
  }

  private static JsonNode convert(String pgType, FieldType type, String json) throws Exception {
    return ValueConverter.convert("t", col(pgType, type), Json.parse(json));
  }

  private static JsonNode convertArray(String pgType, FieldType element, String json)
      throws Exception {
    return ValueConverter.convert(
        "t",
        new ColumnMapping("c", "f", pgType, FieldType.ARRAY, element, true, null),
        Json.parse(json));
  }

  @Test
  void timestampUpToMillisecondPrecisionIsEpochMillis() throws Exception {
    assertThat(convert("timestamp(3) without time zone", FieldType.TIMESTAMP_MS, "1704103200123"))
        .isEqualTo(Json.parse("1704103200123"));
    assertThat(convert("timestamp(0) without time zone", FieldType.TIMESTAMP_MS, "1704103200000"))
        .isEqualTo(Json.parse("1704103200000"));
  }

  @Test
  void timestampWithMicrosecondPrecisionIsFlooredToMillis() throws Exception {
    assertThat(convert("timestamp without time zone", FieldType.TIMESTAMP_MS, "1704103200123456"))
        .isEqualTo(Json.parse("1704103200123"));
    assertThat(convert("timestamp(6) without time zone", FieldType.TIMESTAMP_MS, "-1500").asLong())
        .isEqualTo(-2L);
    assertThat(convert(null, FieldType.TIMESTAMP_MS, "1704103200123999"))
        .isEqualTo(Json.parse("1704103200123"));
  }

  @Test
  void timestampTzIsoTextIsEpochMillis() throws Exception {
    assertThat(
            convert(
                "timestamp with time zone",
                FieldType.TIMESTAMPTZ_MS,
                "\"2024-01-01T10:00:00.123456Z\""))
        .isEqualTo(Json.parse("1704103200123"));
    assertThat(convert("timestamptz", FieldType.TIMESTAMPTZ_MS, "\"2024-01-01T12:00:00+02:00\""))
        .isEqualTo(Json.parse("1704103200000"));
  }

  @Test
  void timestampIsoStringKeepsMicrosecondsInUtc() throws Exception {
    assertThat(
            convert(
                    "timestamp with time zone",
                    FieldType.TIMESTAMP_ISO_STRING,
                    "\"2024-01-01T12:20:30.123456+02:00\"")
                .asText())
        .isEqualTo("2024-01-01T10:20:30.123456Z");
    assertThat(
            convert(
                    "timestamp without time zone",
                    FieldType.TIMESTAMP_ISO_STRING,
                    "1704104430123456")
                .asText())
        .isEqualTo("2024-01-01T10:20:30.123456Z");
    assertThat(
            convert(
                    "timestamp(3) without time zone",
                    FieldType.TIMESTAMP_ISO_STRING,
                    "1704104430123")
                .asText())
        .isEqualTo("2024-01-01T10:20:30.123000Z");
    assertThat(
            convert("timestamp without time zone", FieldType.TIMESTAMP_ISO_STRING, "-1").asText())
        .isEqualTo("1969-12-31T23:59:59.999999Z");
  }

  @Test
  void dateDaysBecomeIsoDate() throws Exception {
    assertThat(convert("date", FieldType.DATE_STRING, "19723").asText()).isEqualTo("2024-01-01");
    assertThat(convert("date", FieldType.DATE_STRING, "-1").asText()).isEqualTo("1969-12-31");
  }

  @Test
  void timeMicrosBecomeIsoTimeAndTimetzPassesThrough() throws Exception {
    assertThat(convert("time without time zone", FieldType.TIME_STRING, "37230000000").asText())
        .isEqualTo("10:20:30");
    assertThat(convert("time without time zone", FieldType.TIME_STRING, "37230000001").asText())
        .isEqualTo("10:20:30.000001");
    assertThat(convert("time without time zone", FieldType.TIME_STRING, "86400000000").asText())
        .isEqualTo("24:00:00");
    assertThat(convert("time with time zone", FieldType.TIME_STRING, "\"10:20:30.5Z\"").asText())
        .isEqualTo("10:20:30.5Z");
  }

  @Test
  void intervalTextPassesThrough() throws Exception {
    assertThat(convert("interval", FieldType.INTERVAL_STRING, "\"P1Y2M3DT4H5M6.5S\"").asText())
        .isEqualTo("P1Y2M3DT4H5M6.5S");
  }

  @Test
  void numbersPassThroughAndSmallNumericTextBecomesANumber() throws Exception {
    assertThat(convert("integer", FieldType.NUMBER, "42")).isEqualTo(Json.parse("42"));
    assertThat(convert("double precision", FieldType.NUMBER, "1.5")).isEqualTo(Json.parse("1.5"));
    assertThat(convert("numeric(10,2)", FieldType.NUMBER, "\"12.50\"").doubleValue())
        .isEqualTo(12.5);
    assertThat(convert("numeric(10,2)", FieldType.NUMBER, "\"12.00\"").isIntegralNumber()).isTrue();
    assertThat(convert("numeric(10,2)", FieldType.NUMBER, "\"-0.01\"").doubleValue())
        .isEqualTo(-0.01);
  }

  @Test
  void nonFiniteNumberIsARowError() {
    assertThatThrownBy(() -> convert("double precision", FieldType.NUMBER, "\"NaN\""))
        .isInstanceOf(ConversionException.class)
        .hasMessageStartingWith("t.c: string value 'NaN' is not a finite number;");
    assertThatThrownBy(() -> convert("real", FieldType.NUMBER, "\"Infinity\""))
        .isInstanceOf(ConversionException.class)
        .hasMessageContaining("t.c:");
    assertThatThrownBy(() -> convert("numeric(10,2)", FieldType.NUMBER, "\"1e400\""))
        .isInstanceOf(ConversionException.class)
        .hasMessageContaining("is not finite");
  }

  @Test
  void decimalStringKeepsTheText() throws Exception {
    assertThat(
            convert("numeric", FieldType.DECIMAL_STRING, "\"123456789012345678901.000\"").asText())
        .isEqualTo("123456789012345678901.000");
    assertThat(convert("numeric", FieldType.DECIMAL_STRING, "1.25").asText()).isEqualTo("1.25");
  }

  @Test
  void int64IsConvexEncoded() throws Exception {
    JsonNode v = convert("bigint", FieldType.INT64, "9007199254740993");
    byte[] b = Base64.getDecoder().decode(v.get("$integer").asText());
    assertThat(b).hasSize(8);
    assertThat(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong())
        .isEqualTo(9007199254740993L);
    assertThat(convert("bigint", FieldType.INT64, "1").get("$integer").asText())
        .isEqualTo("AQAAAAAAAAA=");
    assertThat(convert("bigint", FieldType.INT64, "-1").get("$integer").asText())
        .isEqualTo("//////////8=");
  }

  @Test
  void bytesAreConvexEncoded() throws Exception {
    assertThat(convert("bytea", FieldType.BYTES, "\"AQID\""))
        .isEqualTo(Json.parse("{\"$bytes\":\"AQID\"}"));
    assertThatThrownBy(() -> convert("bytea", FieldType.BYTES, "\"not base64!\""))
        .isInstanceOf(ConversionException.class)
        .hasMessageContaining("is not base64");
  }

  @Test
  void jsonTextIsParsed() throws Exception {
    assertThat(convert("jsonb", FieldType.JSON, "\"{\\\"a\\\":[1,true]}\""))
        .isEqualTo(Json.parse("{\"a\":[1,true]}"));
    assertThatThrownBy(() -> convert("json", FieldType.JSON, "\"{oops\""))
        .isInstanceOf(ConversionException.class)
        .hasMessageStartingWith("t.c: string value '{oops' is not valid JSON;");
  }

  @Test
  void stringsAndBooleansPassThroughButWrongKindsAreErrors() throws Exception {
    assertThat(convert("text", FieldType.STRING, "\"hi\"").asText()).isEqualTo("hi");
    assertThat(convert("boolean", FieldType.BOOLEAN, "true").booleanValue()).isTrue();
    assertThatThrownBy(() -> convert("text", FieldType.STRING, "{\"a\":1}"))
        .isInstanceOf(ConversionException.class)
        .hasMessageStartingWith("t.c: object value '{\"a\":1}' is not a string;");
    assertThatThrownBy(() -> convert("boolean", FieldType.BOOLEAN, "\"yes\""))
        .isInstanceOf(ConversionException.class)
        .hasMessageContaining("is not a boolean");
    assertThatThrownBy(() -> convert("integer", FieldType.NUMBER, "true"))
        .isInstanceOf(ConversionException.class)
        .hasMessageContaining("is not a number");
  }

  @Test
  void stringOverOneMebibyteIsARowError() {
    String big = "x".repeat((1 << 20) + 1);
    assertThatThrownBy(
            () ->
                ValueConverter.convert(
                    "t", col("text", FieldType.STRING), Json.NODES.textNode(big)))
        .isInstanceOf(ConversionException.class)
        .hasMessageStartingWith("t.c: string of 1048577 bytes is over Convex's 1 MiB");
  }

  @Test
  void arraysConvertEachElement() throws Exception {
    assertThat(convertArray("text[]", FieldType.STRING, "[\"a\",null,\"b\"]"))
        .isEqualTo(Json.parse("[\"a\",null,\"b\"]"));
    assertThat(convertArray("bigint[]", FieldType.INT64, "[1]"))
        .isEqualTo(Json.parse("[{\"$integer\":\"AQAAAAAAAAA=\"}]"));
    assertThat(
            convertArray("timestamp(3) without time zone[]", FieldType.TIMESTAMP_MS, "[5]")
                .toString())
        .isEqualTo("[5]");
    assertThatThrownBy(() -> convertArray("integer[]", FieldType.NUMBER, "[1,\"x\"]"))
        .isInstanceOf(ConversionException.class);
  }

  @Test
  void toastPlaceholderIsUnavailableAlsoInArraysAndAsBase64() throws Exception {
    assertThat(convert("text", FieldType.STRING, "\"__debezium_unavailable_value\""))
        .isSameAs(ValueConverter.UNAVAILABLE);
    assertThat(convert("jsonb", FieldType.JSON, "\"__debezium_unavailable_value\""))
        .isSameAs(ValueConverter.UNAVAILABLE);
    assertThat(convertArray("text[]", FieldType.STRING, "[\"__debezium_unavailable_value\"]"))
        .isSameAs(ValueConverter.UNAVAILABLE);
    assertThat(
            convert(
                "bytea", FieldType.BYTES, "\"" + ValueConverter.TOAST_PLACEHOLDER_BASE64 + "\""))
        .isSameAs(ValueConverter.UNAVAILABLE);
  }
}
