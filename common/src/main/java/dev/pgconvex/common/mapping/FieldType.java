package dev.pgconvex.common.mapping;

/**
 * How a Postgres column's value becomes a Convex value. The rules are those of docs/contracts.md
 * and the schema translation; the transformer converts Debezium's JSON form of the column by this
 * type.
 */
public enum FieldType {
  /** smallint, integer, real, double precision, numeric(p&lt;=15): {@code v.number()}. */
  NUMBER("v.number()"),
  /** bigint: {@code v.int64()}. */
  INT64("v.int64()"),
  /** wide or unconstrained numeric: the exact decimal text, {@code v.string()}. */
  DECIMAL_STRING("v.string()"),
  /** text, varchar, char, citext, uuid, inet, enum (as its label): {@code v.string()}. */
  STRING("v.string()"),
  BOOLEAN("v.boolean()"),
  /** bytea: {@code v.bytes()}. */
  BYTES("v.bytes()"),
  /** json, jsonb: the parsed value, {@code v.any()}. */
  JSON("v.any()"),
  /** timestamp without time zone, read as UTC: epoch milliseconds. */
  TIMESTAMP_MS("v.number()"),
  /** timestamp with time zone: epoch milliseconds. */
  TIMESTAMPTZ_MS("v.number()"),
  /** date: ISO {@code yyyy-MM-dd}. */
  DATE_STRING("v.string()"),
  /** time, timetz: ISO time. */
  TIME_STRING("v.string()"),
  /** interval: ISO-8601 duration. */
  INTERVAL_STRING("v.string()"),
  /** an array; the element type is in {@link ColumnMapping#elementType()}. */
  ARRAY("v.array(...)"),
  /**
   * timestamp or timestamptz (the mapping option {@code isoString}): ISO-8601 text in UTC keeping
   * the microseconds, {@code 2024-01-01T10:20:30.123456Z}; timestamp without time zone is read as
   * UTC. The column's {@link ColumnMapping#pgType()} tells which of the two it is.
   */
  TIMESTAMP_ISO_STRING("v.string()");

  private final String validator;

  FieldType(String validator) {
    this.validator = validator;
  }

  /** The Convex validator expression for a non-array column of this type. */
  public String validator() {
    return validator;
  }
}
