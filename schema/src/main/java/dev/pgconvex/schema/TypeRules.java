package dev.pgconvex.schema;

import dev.pgconvex.common.mapping.FieldType;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a Postgres type becomes a Convex field type, with no catalog access: {@link #scalar} is the
 * default rule for a (non-array) type, {@link #override} applies a mapping file's {@code type}.
 * Adding a type is one case here and one row in {@code TypeRulesTest}. Stateless.
 */
final class TypeRules {
  /** {@code numeric(p[,s])} as {@code format_type} writes it. */
  private static final Pattern NUMERIC = Pattern.compile("numeric\\((\\d+)(?:,(\\d+))?\\)");

  private TypeRules() {}

  /** A type override's rule for a (non-array) Postgres type, or null when it does not apply. */
  static FieldType override(String override, String typname, String typtype, FieldType base) {
    boolean integer = Set.of("int2", "int4", "int8").contains(typname);
    boolean timestamp = typname.equals("timestamp") || typname.equals("timestamptz");
    return switch (override) {
      case "string" -> {
        if (typname.equals("numeric") || typname.equals("money")) {
          yield FieldType.DECIMAL_STRING;
        }
        if (base == null || typname.equals("json") || typname.equals("jsonb")) {
          yield FieldType.STRING;
        }
        yield base == FieldType.STRING
                || base == FieldType.DATE_STRING
                || base == FieldType.TIME_STRING
                || base == FieldType.INTERVAL_STRING
            ? base
            : null;
      }
      case "number" ->
          integer || Set.of("float4", "float8", "oid", "numeric", "money").contains(typname)
              ? FieldType.NUMBER
              : null;
      case "int64" -> integer ? FieldType.INT64 : null;
      case "json" -> base == null || base == FieldType.JSON ? FieldType.JSON : null;
      case "isoString" -> timestamp ? FieldType.TIMESTAMP_ISO_STRING : null;
      case "epochMs" ->
          typname.equals("timestamp")
              ? FieldType.TIMESTAMP_MS
              : typname.equals("timestamptz") ? FieldType.TIMESTAMPTZ_MS : null;
      default -> null;
    };
  }

  /** The rule for a non-array type, or null when there is none. */
  static FieldType scalar(String typname, String typtype, String formatted) {
    if ("e".equals(typtype)) {
      return FieldType.STRING;
    }
    switch (typname) {
      case "int2", "int4", "float4", "float8", "oid":
        return FieldType.NUMBER;
      case "int8":
        return FieldType.INT64;
      case "numeric":
        {
          Matcher m = NUMERIC.matcher(formatted);
          return m.find() && Integer.parseInt(m.group(1)) <= 15
              ? FieldType.NUMBER
              : FieldType.DECIMAL_STRING;
        }
      case "money":
        return FieldType.DECIMAL_STRING;
      case "bool":
        return FieldType.BOOLEAN;
      case "text",
      "varchar",
      "bpchar",
      "char",
      "name",
      "citext",
      "uuid",
      "inet",
      "cidr",
      "macaddr",
      "macaddr8",
      "xml",
      "ltree",
      "tsvector":
        return FieldType.STRING;
      case "json", "jsonb":
        return FieldType.JSON;
      case "bytea":
        return FieldType.BYTES;
      case "timestamp":
        return FieldType.TIMESTAMP_MS;
      case "timestamptz":
        return FieldType.TIMESTAMPTZ_MS;
      case "date":
        return FieldType.DATE_STRING;
      case "time", "timetz":
        return FieldType.TIME_STRING;
      case "interval":
        return FieldType.INTERVAL_STRING;
      default:
        return null;
    }
  }
}
