package dev.pgconvex.schema;

import static dev.pgconvex.schema.GoldenSeedIT.connect;
import static dev.pgconvex.schema.GoldenSeedIT.execute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.stack.testing.SharedStack;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every translation rule of issue 4, on a real Postgres, one database for the class. */
@Timeout(120)
class TranslationRulesIT {
  private static String url;
  private final List<String> warnings = new ArrayList<>();

  @BeforeAll
  static void schema() throws Exception {
    url = SharedStack.freshDatabase("rules");
    execute(
        url,
        List.of(
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
            "CREATE DOMAIN email AS varchar(320) CHECK (VALUE LIKE '%@%')",
            "CREATE DOMAIN price AS numeric(12,2)",
            "CREATE TABLE kinds (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                + " s smallint NOT NULL, i integer, r real, d double precision, big bigint,"
                + " n15 numeric(15,2), n16 numeric(16,2), n numeric, ok boolean,"
                + " t text, vc varchar(10), c char(3), u uuid, ip inet,"
                + " j json, jb jsonb, b bytea,"
                + " ts timestamp, tstz timestamptz(3), dt date, tm time, tmtz timetz, iv interval,"
                + " m mood NOT NULL, moods mood[], ints int[], wide numeric(20,2)[],"
                + " mail email, cost price,"
                + " total numeric GENERATED ALWAYS AS (n15 * 2) STORED)",
            "CREATE TABLE \"_Odd_Names\" (key text PRIMARY KEY, \"_hidden\" int,"
                + " \"%s\" int)".formatted("x".repeat(63)),
            "CREATE TABLE shapes (id int PRIMARY KEY, spot point, area box)",
            "CREATE TABLE people (id bigserial PRIMARY KEY, name text NOT NULL, secret text,"
                + " owner_id bigint, nick text)",
            "CREATE INDEX people_name_idx ON people (name)",
            "CREATE INDEX people_partial_idx ON people (nick) WHERE nick IS NOT NULL",
            "CREATE INDEX people_lower_idx ON people (lower(name))",
            "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, person_id bigint"
                + " REFERENCES people, what text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
            "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
            "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
            "CREATE TABLE event_notes (id int PRIMARY KEY, event_id bigint NOT NULL,"
                + " event_at date NOT NULL, FOREIGN KEY (event_id, event_at) REFERENCES events)"));
  }

  private Mapping read(List<String> tables, String yaml) throws Exception {
    try (Connection c = connect(url)) {
      CatalogReader reader = new CatalogReader(c);
      try {
        return reader.read(
            tables,
            List.of(),
            yaml == null ? MappingFile.EMPTY : MappingFile.parse(yaml, "m.yaml"));
      } finally {
        warnings.addAll(reader.warnings());
      }
    }
  }

  private static ColumnMapping col(TableMapping t, String column) {
    return t.columns().stream().filter(c -> c.column().equals(column)).findFirst().orElseThrow();
  }

  @Test
  void typesFollowTheRules() throws Exception {
    TableMapping t = read(List.of("kinds"), null).tables().get(0);
    assertThat(t.columns()).extracting(ColumnMapping::column).doesNotContain("id", "total");
    Map<String, FieldType> expected =
        Map.ofEntries(
            Map.entry("s", FieldType.NUMBER),
            Map.entry("i", FieldType.NUMBER),
            Map.entry("r", FieldType.NUMBER),
            Map.entry("d", FieldType.NUMBER),
            Map.entry("big", FieldType.INT64),
            Map.entry("n15", FieldType.NUMBER),
            Map.entry("n16", FieldType.DECIMAL_STRING),
            Map.entry("n", FieldType.DECIMAL_STRING),
            Map.entry("ok", FieldType.BOOLEAN),
            Map.entry("t", FieldType.STRING),
            Map.entry("vc", FieldType.STRING),
            Map.entry("c", FieldType.STRING),
            Map.entry("u", FieldType.STRING),
            Map.entry("ip", FieldType.STRING),
            Map.entry("j", FieldType.JSON),
            Map.entry("jb", FieldType.JSON),
            Map.entry("b", FieldType.BYTES),
            Map.entry("ts", FieldType.TIMESTAMP_MS),
            Map.entry("tstz", FieldType.TIMESTAMPTZ_MS),
            Map.entry("dt", FieldType.DATE_STRING),
            Map.entry("tm", FieldType.TIME_STRING),
            Map.entry("tmtz", FieldType.TIME_STRING),
            Map.entry("iv", FieldType.INTERVAL_STRING),
            Map.entry("m", FieldType.STRING),
            Map.entry("mail", FieldType.STRING),
            Map.entry("cost", FieldType.NUMBER));
    expected.forEach((c, type) -> assertThat(col(t, c).type()).as(c).isEqualTo(type));
    assertThat(col(t, "moods").elementType()).isEqualTo(FieldType.STRING);
    assertThat(col(t, "ints").elementType()).isEqualTo(FieldType.NUMBER);
    assertThat(col(t, "wide").elementType()).isEqualTo(FieldType.DECIMAL_STRING);
    assertThat(col(t, "cost").pgType()).isEqualTo("numeric(12,2)"); // the domain's base type
    assertThat(col(t, "s").nullable()).isFalse();
    assertThat(col(t, "i").nullable()).isTrue();
    assertThat(t.excludedColumns()).containsExactly("total");
    assertThat(warnings).anyMatch(w -> w.contains("kinds.total is generated"));

    String ts = SchemaTsWriter.write(new Mapping(List.of(t)), true);
    assertThat(ts)
        .contains("    m: mood, // m mood NOT NULL")
        .contains("    moods: v.optional(v.array(mood)),")
        .contains("    big: v.optional(v.int64()),")
        .contains("    b: v.optional(v.bytes()),")
        .contains("    jb: v.optional(v.any()),")
        .contains("    s: v.number(),")
        .contains("import { mood } from \"./validators\";");
  }

  @Test
  void optionsAndOverridesChangeTypes() throws Exception {
    TableMapping t =
        read(
                List.of("kinds"),
                """
                bigint: number
                timestamps: isoString
                tables:
                  kinds:
                    columns:
                      i: { type: int64 }
                      n: { type: number }
                      n15: { type: string }
                      tstz: { type: epochMs }
                      m: { type: string }
                      jb: { type: json, validator: "v.object({ tags: v.array(v.string()) })" }
                      j: { type: string }
                """)
            .tables()
            .get(0);
    assertThat(col(t, "big").type()).isEqualTo(FieldType.NUMBER);
    assertThat(col(t, "ts").type()).isEqualTo(FieldType.TIMESTAMP_ISO_STRING);
    assertThat(col(t, "tstz").type()).isEqualTo(FieldType.TIMESTAMPTZ_MS);
    assertThat(col(t, "i").type()).isEqualTo(FieldType.INT64);
    assertThat(col(t, "n").type()).isEqualTo(FieldType.NUMBER);
    assertThat(col(t, "n15").type()).isEqualTo(FieldType.DECIMAL_STRING);
    assertThat(col(t, "j").type()).isEqualTo(FieldType.STRING);
    assertThat(col(t, "m").enumValues()).isNull();
    assertThat(col(t, "jb").validatorOverride())
        .isEqualTo("v.object({ tags: v.array(v.string()) })");
    assertThat(SchemaTsWriter.write(new Mapping(List.of(t))))
        .contains("jb: v.optional(v.object({ tags: v.array(v.string()) })),")
        .contains("ts: v.optional(v.string()),")
        .contains("m: v.string(),");
  }

  @Test
  void unmappableTypesNameTheColumnAndTheOverride() throws Exception {
    assertThatThrownBy(() -> read(List.of("shapes"), null))
        .isInstanceOf(CatalogException.class)
        .satisfies(e -> assertThat(((CatalogException) e).problems()).hasSize(2))
        .hasMessageContaining("column public.shapes.spot has type point")
        .hasMessageContaining("column public.shapes.area has type box")
        .hasMessageContaining("tables: {shapes: {columns: {spot: {type: json}}}}");
    Mapping m =
        read(
            List.of("shapes"),
            """
            tables:
              shapes:
                columns:
                  spot: { type: json }
                  area: { exclude: true }
            """);
    assertThat(col(m.tables().get(0), "spot").type()).isEqualTo(FieldType.JSON);
    assertThat(m.tables().get(0).excludedColumns()).containsExactly("area");
    // an override that the type cannot take is refused, at its position
    assertThatThrownBy(
            () ->
                read(
                    List.of("kinds"), "tables:\n  kinds:\n    columns:\n      ok: {type: int64}\n"))
        .hasMessage(
            "m.yaml:4:18: column public.kinds.ok: type int64 does not apply to Postgres type boolean");
  }

  @Test
  void namesAreCamelCaseAndMadeLegalWithAWarning() throws Exception {
    TableMapping t = read(List.of("\"_Odd_Names\"".replace("\"", "")), null).tables().get(0);
    assertThat(t.target()).isEqualTo("OddNames");
    assertThat(t.columns())
        .extracting(ColumnMapping::field)
        .containsExactly("key", "hidden", "x".repeat(63));
    assertThat(warnings)
        .anyMatch(w -> w.contains("table public._Odd_Names") && w.contains("renamed to 'OddNames'"))
        .anyMatch(w -> w.contains("_hidden") && w.contains("renamed"));
    TableMapping kept =
        read(List.of("people"), "naming: keep\ntables:\n  people:\n    keepSourceId: true\n")
            .tables()
            .get(0);
    assertThat(kept.columns()).extracting(ColumnMapping::field).contains("owner_id", "id");
    assertThat(kept.indexes()).containsEntry("by_id_field", List.of("id"));
  }

  @Test
  void serialKeysBecomeIdAndNaturalKeysStayIndexed() throws Exception {
    Mapping m = read(List.of("people", "events"), null);
    TableMapping people = m.byTarget("people").orElseThrow();
    assertThat(people.columns()).extracting(ColumnMapping::column).doesNotContain("id");
    assertThat(people.primaryKey()).containsExactly("id");
    // secondary indexes are kept; partial and expression ones are reported
    assertThat(people.indexes()).containsExactly(Map.entry("by_name", List.of("name")));
    assertThat(warnings)
        .anyMatch(w -> w.contains("people_partial_idx") && w.contains("partial"))
        .anyMatch(w -> w.contains("people_lower_idx"));
    TableMapping events = m.byTarget("events").orElseThrow();
    assertThat(events.relations())
        .containsExactly(new RelationMapping("personId", List.of("person_id"), "people", true));
    assertThat(events.indexes())
        .containsEntry("by_personId", List.of("personId"))
        .containsEntry("by_id_at", List.of("id", "at"));
  }

  @Test
  void partitionsMapToTheirParent() throws Exception {
    Mapping m = read(List.of("events_2024", "events_2025", "people", "event_notes"), null);
    assertThat(m.tables())
        .extracting(TableMapping::target)
        .containsExactly("events", "people", "eventNotes");
    assertThat(warnings)
        .anyMatch(
            w ->
                w.startsWith(
                    "table public.events: 2 partitions mapped to one table (events_2024, events_2025)"));
    // a foreign key to a partitioned table is one relation, not one per partition
    assertThat(m.byTarget("eventNotes").orElseThrow().relations())
        .containsExactly(
            new RelationMapping("eventsId", List.of("event_id", "event_at"), "events", false));
  }

  @Test
  void mappingFileRenamesExcludesRelatesAndNamesIndexes() throws Exception {
    Mapping m =
        read(
            List.of(),
            """
            tables:
              people:
                target: persons
                columns:
                  name: { name: fullName }
                  secret: { exclude: true }
                relations:
                  owner_id: { parent: people, field: ownerRef }
                indexes:
                  by_full_name: [name]
                  by_nick_and_name: [nick, name]
              kinds:
                include: false
            """);
    TableMapping p = m.tables().get(0);
    assertThat(m.tables()).hasSize(1);
    assertThat(p.target()).isEqualTo("persons");
    assertThat(p.columns()).extracting(ColumnMapping::field).containsExactly("fullName", "nick");
    assertThat(p.excludedColumns()).containsExactly("secret");
    assertThat(p.relations())
        .containsExactly(new RelationMapping("ownerRef", List.of("owner_id"), "persons", true));
    assertThat(p.indexes())
        .containsExactly(
            Map.entry("by_ownerRef", List.of("ownerRef")),
            Map.entry("by_full_name", List.of("fullName")),
            Map.entry("by_nick_and_name", List.of("nick", "fullName")));
  }

  @Test
  void mappingFileReferencesAreCheckedWithPositions() throws Exception {
    assertThatThrownBy(
            () ->
                read(
                    List.of("people"),
                    """
                    tables:
                      people:
                        columns:
                          nmae: { name: x }
                          id: { exclude: true }
                        relations:
                          owner: people
                          owner_id: nowhere
                        indexes:
                          by_x: [name, nope]
                      ghosts:
                        target: g
                    """))
        .isInstanceOf(CatalogException.class)
        .satisfies(
            e ->
                assertThat(((CatalogException) e).problems())
                    .hasSize(5)
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith(
                                    "m.yaml:4:7: column nmae does not exist in public.people"))
                    .anySatisfy(
                        p -> assertThat(p).startsWith("m.yaml:10:7: column nope does not exist"))
                    .anySatisfy(
                        p -> assertThat(p).startsWith("m.yaml:7:7: column owner does not exist"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .isEqualTo(
                                    "m.yaml:8:7: relation people -> public.nowhere: table does not exist"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .isEqualTo("m.yaml:11:3: table public.ghosts does not exist")));
    // checked once the references resolve: the key cannot be excluded
    assertThatThrownBy(
            () ->
                read(
                    List.of("people"),
                    "tables:\n  people:\n    columns:\n      id: { exclude: true }\n"))
        .hasMessageContaining("m.yaml:4:7: column public.people.id is part of the primary key");
  }

  @Test
  void clashingNamesAreErrors() throws Exception {
    assertThatThrownBy(
            () ->
                read(
                    List.of("people", "kinds"),
                    """
                    tables:
                      kinds: { target: people }
                      people:
                        columns:
                          nick: { name: name }
                    """))
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining(
            "tables public.people and public.kinds both become Convex table people")
        .hasMessageContaining("columns name and nick both become field name");
  }
}
