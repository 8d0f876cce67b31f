package dev.pgconvex.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The components added to common's mapping records keep older mapping files readable. */
class MappingJsonCompatTest {
  @Test
  void aMappingWrittenBeforeTheNewComponentsStillReadsAndWrites() {
    String old =
        """
        {"tables":[{"schema":"public","table":"threads","target":"threads","primaryKey":["id"],
          "columns":[{"column":"title","field":"title","pgType":"text","type":"STRING","nullable":true}],
          "relations":[{"field":"userId","columns":["user_id"],"parentTable":"users","optional":false}]}]}
        """;
    Mapping m = Mapping.fromJson(old);
    TableMapping t = m.tables().get(0);
    assertThat(t.indexes()).isNull();
    assertThat(t.excludedColumns()).isEmpty();
    assertThat(t.columns().get(0).validatorOverride()).isNull();
    assertThat(t.configuredKey()).isFalse();
    assertThat(m.sourceKeyColumns()).isEmpty();
    // the writer derives the indexes as it did before
    assertThat(SchemaTsWriter.write(m)).contains(".index(\"by_userId\", [\"userId\"])");
  }

  @Test
  void newComponentsRoundTrip() {
    TableMapping t =
        new TableMapping(
            "public",
            "docs",
            "docs",
            List.of("id"),
            List.of(
                new ColumnMapping(
                    "meta", "meta", "jsonb", FieldType.JSON, null, true, null, "v.object({})"),
                ColumnMapping.of("at", "at", "timestamp", FieldType.TIMESTAMP_ISO_STRING, false)),
            List.of(),
            Map.of("by_at", List.of("at")),
            List.of("secret"),
            true);
    Mapping back = Mapping.fromJson(new Mapping(List.of(t)).toJson());
    assertThat(back).isEqualTo(new Mapping(List.of(t)));
    assertThat(SchemaTsWriter.write(back))
        .contains("meta: v.optional(v.object({})),")
        .contains("at: v.string(),")
        .contains(".index(\"by_at\", [\"at\"])");
  }
}
