package dev.pgconvex.transformer.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts one column value from Debezium's JSON form (source settings {@code
 * decimal.handling.mode=string}, {@code time.precision.mode=adaptive_time_microseconds}, {@code
 * binary.handling.mode=base64}, {@code interval.handling.mode=string}) into Convex-encoded JSON, by
 * the column's {@link FieldType}. Stateless and thread-safe.
 */
public final class ValueConverter {
  /** Debezium's stand-in for an unchanged TOASTed value. */
  public static final String TOAST_PLACEHOLDER = "__debezium_unavailable_value";

  /** The placeholder as bytea arrives with {@code binary.handling.mode=base64}. */
  public static final String TOAST_PLACEHOLDER_BASE64 =
      Base64.getEncoder().encodeToString(TOAST_PLACEHOLDER.getBytes(StandardCharsets.UTF_8));

  /**
   * Returned for an unchanged TOAST value: the field must be left out of the operation. Compare by
   * identity.
   */
  public static final JsonNode UNAVAILABLE = Json.NODES.textNode(TOAST_PLACEHOLDER);

  /** Convex's limit on a document (and so on any one value). */
  static final int MAX_VALUE_BYTES = 1 << 20;

  /** Convex's limit on array elements. */
  static final int MAX_ARRAY_ELEMENTS = 8192;

  private static final Pattern PRECISION = Pattern.compile("^timestamp\\((\\d+)\\)");
  private static final DateTimeFormatter TIME_MICROS =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS");
  private static final DateTimeFormatter TIME_SECONDS = DateTimeFormatter.ofPattern("HH:mm:ss");
  private static final DateTimeFormatter ISO_MICROS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
          .withZone(java.time.ZoneOffset.UTC);

  private ValueConverter() {}

  /**
   * Converts a non-null value.
   *
   * @param table Postgres table name, for messages
   * @param column the column's mapping
   * @param value Debezium's JSON value, not null and not JSON null
   * @return the Convex value, or {@link #UNAVAILABLE} for an unchanged TOAST value
   * @throws ConversionException when Convex cannot hold the value
   */
  public static JsonNode convert(String table, ColumnMapping column, JsonNode value)
      throws ConversionException {
    return convert(table, column, column.type(), column.pgType(), value);
  }

  private static JsonNode convert(
      String table, ColumnMapping column, FieldType type, String pgType, JsonNode v)
      throws ConversionException {
    if (v.isTextual()
        && (v.textValue().equals(TOAST_PLACEHOLDER)
            || (type == FieldType.BYTES && v.textValue().equals(TOAST_PLACEHOLDER_BASE64)))) {
      return UNAVAILABLE;
    }
    return switch (type) {
      case STRING, INTERVAL_STRING -> checkedString(table, column, v);
      case DECIMAL_STRING -> decimalString(table, column, v);
      case BOOLEAN -> {
        if (!v.isBoolean()) {
          throw wrongKind(table, column, v, "a boolean");
        }
        yield v;
      }
      case NUMBER -> number(table, column, v);
      case INT64 -> int64(table, column, v);
      case BYTES -> bytes(table, column, v);
      case JSON -> json(table, column, v);
      case TIMESTAMP_MS -> timestamp(table, column, pgType, v);
      case TIMESTAMPTZ_MS -> timestampTz(table, column, v);
      case DATE_STRING -> date(table, column, v);
      case TIME_STRING -> time(table, column, v);
      case ARRAY -> array(table, column, pgType, v);
      case TIMESTAMP_ISO_STRING -> timestampIso(table, column, pgType, v);
    };
  }

  private static JsonNode checkedString(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    if (!v.isTextual()) {
      throw wrongKind(table, column, v, "a string");
    }
    checkSize(table, column, v.textValue());
    return v;
  }

  private static JsonNode decimalString(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    if (v.isNumber()) {
      return Json.NODES.textNode(v.decimalValue().toPlainString());
    }
    return checkedString(table, column, v);
  }

  private static JsonNode number(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    if (v.isIntegralNumber()) {
      if (v.canConvertToLong()) {
        long l = v.longValue();
        if (Math.abs(l) > (1L << 53)) {
          throw problem(
              table,
              column,
              v,
              "does not fit a float64 exactly",
              "map the column as int64 or as a decimal string");
        }
        return v;
      }
      throw problem(
          table, column, v, "does not fit a float64", "map the column as a decimal string");
    }
    if (v.isNumber()) {
      if (!Double.isFinite(v.doubleValue())) {
        throw problem(table, column, v, "is not finite", "map the column as a decimal string");
      }
      return v;
    }
    if (v.isTextual()) {
      // numeric(p<=15) with decimal.handling.mode=string, or NaN/Infinity of a float column.
      BigDecimal d;
      try {
        d = new BigDecimal(v.textValue());
      } catch (NumberFormatException e) {
        String t = v.textValue();
        if (!t.equals("NaN") && !t.equals("Infinity") && !t.equals("-Infinity")) {
          // Debezium writes a number column's values as numbers (or NaN/Infinity as text): other
          // text means the column is no longer a number.
          throw wrongKind(table, column, v, "a number");
        }
        throw problem(
            table,
            column,
            v,
            "is not a finite number",
            "clean the row or map the column as a decimal string");
      }
      double dv = d.doubleValue();
      if (!Double.isFinite(dv)) {
        throw problem(table, column, v, "is not finite", "map the column as a decimal string");
      }
      if (d.signum() == 0 || d.stripTrailingZeros().scale() <= 0) {
        try {
          return Json.NODES.numberNode(d.longValueExact());
        } catch (ArithmeticException e) {
          return Json.NODES.numberNode(dv);
        }
      }
      return Json.NODES.numberNode(dv);
    }
    throw wrongKind(table, column, v, "a number");
  }

  private static JsonNode int64(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    long l;
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      l = v.longValue();
    } else if (v.isTextual()) {
      try {
        l = Long.parseLong(v.textValue().trim());
      } catch (NumberFormatException e) {
        throw wrongKind(table, column, v, "a 64-bit integer");
      }
    } else {
      throw wrongKind(table, column, v, "a 64-bit integer");
    }
    return encodeInt64(l);
  }

  /** Convex's encoding of an int64: {@code {"$integer": base64 of 8 bytes little-endian}}. */
  public static ObjectNode encodeInt64(long l) {
    byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(l).array();
    ObjectNode o = Json.NODES.objectNode();
    o.put("$integer", Base64.getEncoder().encodeToString(b));
    return o;
  }

  private static JsonNode bytes(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    if (!v.isTextual()) {
      throw wrongKind(table, column, v, "base64 text");
    }
    String text = v.textValue();
    if ((long) text.length() * 3 / 4 > MAX_VALUE_BYTES) {
      throw problem(
          table,
          column,
          v,
          "is over Convex's 1 MiB document limit",
          "exclude the column from the mapping or store the bytes elsewhere");
    }
    try {
      Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw problem(
          table, column, v, "is not base64", "set binary.handling.mode=base64 on the source");
    }
    ObjectNode o = Json.NODES.objectNode();
    o.put("$bytes", text);
    return o;
  }

  private static JsonNode json(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    if (!v.isTextual()) {
      return v;
    }
    checkSize(table, column, v.textValue());
    try {
      return Json.parse(v.textValue());
    } catch (IllegalArgumentException e) {
      throw problem(
          table, column, v, "is not valid JSON", "fix the row or map the column as a string");
    }
  }

  private static JsonNode timestamp(String table, ColumnMapping column, String pgType, JsonNode v)
      throws ConversionException {
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw wrongKind(table, column, v, "an epoch timestamp number");
    }
    long raw = v.longValue();
    // io.debezium.time.Timestamp (millis) for precision <= 3, MicroTimestamp (micros) otherwise.
    boolean millis = precision(pgType) <= 3;
    return Json.NODES.numberNode(millis ? raw : Math.floorDiv(raw, 1000L));
  }

  private static JsonNode timestampIso(
      String table, ColumnMapping column, String pgType, JsonNode v) throws ConversionException {
    Instant i;
    if (v.isTextual()) {
      try {
        i = OffsetDateTime.parse(v.textValue()).toInstant(); // timestamptz: ZonedTimestamp
      } catch (DateTimeParseException e) {
        throw problem(
            table,
            column,
            v,
            "is not an ISO timestamp",
            "fix the row or map the column as a string");
      }
    } else if (v.isIntegralNumber() && v.canConvertToLong()) {
      long raw = v.longValue();
      if (precision(pgType) <= 3) {
        i = Instant.ofEpochMilli(raw);
      } else {
        i =
            Instant.ofEpochSecond(
                Math.floorDiv(raw, 1_000_000L), Math.floorMod(raw, 1_000_000L) * 1000L);
      }
    } else {
      throw wrongKind(table, column, v, "a timestamp");
    }
    return Json.NODES.textNode(ISO_MICROS.format(i));
  }

  static int precision(String pgType) {
    if (pgType == null) {
      return 6;
    }
    Matcher m = PRECISION.matcher(pgType.toLowerCase(Locale.ROOT));
    return m.find() ? Integer.parseInt(m.group(1)) : 6;
  }

  private static JsonNode timestampTz(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    if (!v.isTextual()) {
      throw wrongKind(table, column, v, "an ISO timestamp string");
    }
    try {
      Instant i = OffsetDateTime.parse(v.textValue()).toInstant();
      return Json.NODES.numberNode(i.toEpochMilli());
    } catch (DateTimeParseException | ArithmeticException e) {
      throw problem(
          table, column, v, "is not an ISO timestamp", "fix the row or map the column as a string");
    }
  }

  private static JsonNode date(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw wrongKind(table, column, v, "a day count");
    }
    try {
      return Json.NODES.textNode(LocalDate.ofEpochDay(v.longValue()).toString());
    } catch (java.time.DateTimeException e) {
      throw problem(table, column, v, "is out of range", "fix the row");
    }
  }

  private static JsonNode time(String table, ColumnMapping column, JsonNode v)
      throws ConversionException {
    if (v.isTextual()) {
      return v; // timetz: Debezium's ZonedTime text is already ISO
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw wrongKind(table, column, v, "microseconds since midnight");
    }
    long micros = v.longValue();
    if (micros == 86_400_000_000L) {
      return Json.NODES.textNode("24:00:00"); // Postgres allows 24:00:00
    }
    if (micros < 0 || micros > 86_400_000_000L) {
      throw problem(table, column, v, "is not a time of day", "fix the row");
    }
    LocalTime t = LocalTime.ofNanoOfDay(micros * 1000L);
    return Json.NODES.textNode(
        micros % 1_000_000L == 0 ? TIME_SECONDS.format(t) : TIME_MICROS.format(t));
  }

  private static JsonNode array(String table, ColumnMapping column, String pgType, JsonNode v)
      throws ConversionException {
    if (!v.isArray()) {
      throw wrongKind(table, column, v, "an array");
    }
    if (v.size() > MAX_ARRAY_ELEMENTS) {
      throw problem(
          table,
          column,
          v,
          "has more than " + MAX_ARRAY_ELEMENTS + " elements (Convex's limit)",
          "exclude the column from the mapping");
    }
    FieldType element = column.elementType() == null ? FieldType.STRING : column.elementType();
    String elementPgType = pgType == null ? null : pgType.replace("[]", "");
    ArrayNode out = Json.NODES.arrayNode(v.size());
    for (JsonNode e : v) {
      if (e == null || e.isNull()) {
        out.addNull();
        continue;
      }
      JsonNode c = convert(table, column, element, elementPgType, e);
      if (c == UNAVAILABLE) {
        return UNAVAILABLE;
      }
      out.add(c);
    }
    return out;
  }

  private static void checkSize(String table, ColumnMapping column, String text)
      throws ConversionException {
    // A UTF-8 char is at most 3 bytes per UTF-16 unit: skip the exact count for short strings.
    if ((long) text.length() * 3 > MAX_VALUE_BYTES
        && text.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
      throw new ConversionException(
          table
              + "."
              + column.column()
              + ": string of "
              + text.getBytes(StandardCharsets.UTF_8).length
              + " bytes is over Convex's 1 MiB document limit; exclude the column from the mapping"
              + " or shorten the value");
    }
  }

  private static ConversionException wrongKind(
      String table, ColumnMapping column, JsonNode v, String expected) {
    return new ConversionException(
        ConversionException.TYPE_CHANGED,
        problem(
                table,
                column,
                v,
                "is not " + expected,
                "check the column's type in the mapping (" + column.type() + ")")
            .getMessage());
  }

  private static ConversionException problem(
      String table, ColumnMapping column, JsonNode v, String what, String todo) {
    return new ConversionException(
        table
            + "."
            + column.column()
            + ": "
            + kind(v)
            + " value "
            + preview(v)
            + " "
            + what
            + "; "
            + todo);
  }

  static String kind(JsonNode v) {
    return switch (v.getNodeType()) {
      case STRING -> "string";
      case NUMBER -> "number";
      case BOOLEAN -> "boolean";
      case ARRAY -> "array";
      case OBJECT, POJO -> "object";
      case BINARY -> "binary";
      default -> "null";
    };
  }

  private static String preview(JsonNode v) {
    String text = v.isTextual() ? v.textValue() : v.toString();
    return "'" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'";
  }
}
