package dev.pgconvex.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.mapping.FieldType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One row per Postgres type: what it becomes by default, and what each mapping-file override makes
 * of it. Adding a type to {@link TypeRules} adds a row here. (TranslationRulesIT checks the same
 * rules through a real catalog.)
 */
class TypeRulesTest {
  @ParameterizedTest(name = "{0} ({2}) -> {3}")
  @CsvSource(
      nullValues = "none",
      textBlock =
          """
          # typname,  typtype, formatted,                     field type
          int2,        b,  smallint,                          NUMBER
          int4,        b,  integer,                           NUMBER
          float4,      b,  real,                              NUMBER
          float8,      b,  double precision,                  NUMBER
          oid,         b,  oid,                               NUMBER
          int8,        b,  bigint,                            INT64
          numeric,     b,  'numeric(15,2)',                   NUMBER
          numeric,     b,  'numeric(16,2)',                   DECIMAL_STRING
          numeric,     b,  numeric,                           DECIMAL_STRING
          money,       b,  money,                             DECIMAL_STRING
          bool,        b,  boolean,                           BOOLEAN
          text,        b,  text,                              STRING
          varchar,     b,  character varying(10),             STRING
          bpchar,      b,  character(3),                      STRING
          char,        b,  '"char"',                          STRING
          name,        b,  name,                              STRING
          citext,      b,  citext,                            STRING
          uuid,        b,  uuid,                              STRING
          inet,        b,  inet,                              STRING
          cidr,        b,  cidr,                              STRING
          macaddr,     b,  macaddr,                           STRING
          macaddr8,    b,  macaddr8,                          STRING
          xml,         b,  xml,                               STRING
          ltree,       b,  ltree,                             STRING
          tsvector,    b,  tsvector,                          STRING
          json,        b,  json,                              JSON
          jsonb,       b,  jsonb,                             JSON
          bytea,       b,  bytea,                             BYTES
          timestamp,   b,  timestamp(3) without time zone,    TIMESTAMP_MS
          timestamptz, b,  timestamp with time zone,          TIMESTAMPTZ_MS
          date,        b,  date,                              DATE_STRING
          time,        b,  time without time zone,            TIME_STRING
          timetz,      b,  time with time zone,               TIME_STRING
          interval,    b,  interval,                          INTERVAL_STRING
          mood,        e,  mood,                              STRING
          point,       b,  point,                             none
          box,         b,  box,                               none
          int4range,   r,  int4range,                         none
          """)
  void defaultRule(String typname, String typtype, String formatted, FieldType expected) {
    assertThat(TypeRules.scalar(typname, typtype, formatted)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{1} as {0} -> {2}")
  @CsvSource(
      nullValues = "none",
      textBlock =
          """
          # override, typname,    field type (none: the override does not apply)
          string,     numeric,     DECIMAL_STRING
          string,     money,       DECIMAL_STRING
          string,     json,        STRING
          string,     jsonb,       STRING
          string,     point,       STRING
          string,     text,        STRING
          string,     date,        DATE_STRING
          string,     time,        TIME_STRING
          string,     interval,    INTERVAL_STRING
          string,     int4,        none
          string,     bool,        none
          string,     timestamptz, none
          number,     int2,        NUMBER
          number,     int4,        NUMBER
          number,     int8,        NUMBER
          number,     float8,      NUMBER
          number,     numeric,     NUMBER
          number,     money,       NUMBER
          number,     text,        none
          int64,      int2,        INT64
          int64,      int8,        INT64
          int64,      numeric,     none
          json,       json,        JSON
          json,       jsonb,       JSON
          json,       point,       JSON
          json,       text,        none
          isoString,  timestamp,   TIMESTAMP_ISO_STRING
          isoString,  timestamptz, TIMESTAMP_ISO_STRING
          isoString,  date,        none
          epochMs,    timestamp,   TIMESTAMP_MS
          epochMs,    timestamptz, TIMESTAMPTZ_MS
          epochMs,    date,        none
          """)
  void override(String override, String typname, FieldType expected) {
    FieldType base = TypeRules.scalar(typname, "b", typname);
    assertThat(TypeRules.override(override, typname, "b", base)).isEqualTo(expected);
  }
}
