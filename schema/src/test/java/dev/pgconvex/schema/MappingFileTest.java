package dev.pgconvex.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.schema.MappingFile.BigintMode;
import dev.pgconvex.schema.MappingFile.NamingStyle;
import dev.pgconvex.schema.MappingFile.TableConfig;
import dev.pgconvex.schema.MappingFile.TimestampMode;
import java.util.List;
import org.junit.jupiter.api.Test;

class MappingFileTest {
  @Test
  void fullFileParses() {
    MappingFile f =
        MappingFile.parse(
            """
            naming: keep
            bigint: number
            timestamps: isoString
            tables:
              app.customer_mapping:
                target: customers
                include: true
                naming: camelCase
                keepSourceId: true
                columns:
                  rubic_id: { name: rubicCustomerNo }
                  hash: { exclude: true }
                  meta: { type: json, validator: "v.object({ a: v.string() })" }
                relations:
                  user_id: users
                  order_id+region: { parent: sales.orders, field: orderRef }
                indexes:
                  by_rubic_and_env: [rubic_id, tripletex_env]
              other:
                exclude: true
              audit:
                key: [at, what]
            """,
            "m.yaml");
    assertThat(f.naming()).isEqualTo(NamingStyle.KEEP);
    assertThat(f.bigint()).isEqualTo(BigintMode.NUMBER);
    assertThat(f.timestamps()).isEqualTo(TimestampMode.ISO_STRING);
    TableConfig t = f.table("app.customer_mapping");
    assertThat(t.target()).isEqualTo("customers");
    assertThat(t.include()).isTrue();
    assertThat(t.naming()).isEqualTo(NamingStyle.CAMEL_CASE);
    assertThat(t.keepSourceId()).isTrue();
    assertThat(t.columns().get("rubic_id").name()).isEqualTo("rubicCustomerNo");
    assertThat(t.columns().get("hash").exclude()).isTrue();
    assertThat(t.columns().get("meta").validator()).isEqualTo("v.object({ a: v.string() })");
    assertThat(t.columns().get("meta").typePos().toString()).isEqualTo("m.yaml:13:21");
    assertThat(t.relations())
        .extracting(r -> r.columns() + "->" + r.parentSchema() + "." + r.parentTable())
        .containsExactly("[user_id]->public.users", "[order_id, region]->sales.orders");
    assertThat(t.relations().get(1).field()).isEqualTo("orderRef");
    assertThat(t.indexes().get(0).columns()).containsExactly("rubic_id", "tripletex_env");
    assertThat(f.table("public.other").include()).isFalse();
    assertThat(t.key()).isNull();
    assertThat(f.table("public.audit").key()).containsExactly("at", "what");
    assertThat(f.table("public.audit").keyPos().toString()).isEqualTo("m.yaml:22:10");
    assertThat(f.tables())
        .extracting(TableConfig::qualified)
        .containsExactly("app.customer_mapping", "public.other", "public.audit");
  }

  @Test
  void emptyFileIsTheDefaults() {
    MappingFile f = MappingFile.parse("# nothing\n", "m.yaml");
    assertThat(f.tables()).isEmpty();
    assertThat(f.naming()).isEqualTo(NamingStyle.CAMEL_CASE);
    assertThat(f.bigint()).isEqualTo(BigintMode.INT64);
  }

  @Test
  void everyShapeProblemIsReportedWithItsPosition() {
    String text =
        """
        naming: snake
        tabels: {}
        tables:
          users:
            traget: people
            keepSourceId: maybe
            key: []
            columns:
              email: { rename: mail }
              age: { type: integer }
              meta: { validator: "z.object({})" }
            indexes:
              by_email: email
          users:
            target: again
        """;
    assertThatThrownBy(() -> MappingFile.parse(text, "mapping.yaml"))
        .isInstanceOf(CatalogException.class)
        .satisfies(
            e ->
                assertThat(((CatalogException) e).problems())
                    .containsExactlyInAnyOrder(
                        "mapping.yaml:1:9: naming: 'snake' is not one of camelCase, keep",
                        "mapping.yaml:2:1: the file: unknown key 'tabels'; expected one of bigint,"
                            + " naming, tables, timestamps",
                        "mapping.yaml:5:5: table users: unknown key 'traget'; expected one of"
                            + " columns, exclude, include, indexes, keepSourceId, key, naming,"
                            + " relations, target",
                        "mapping.yaml:7:10: table users: key needs at least one column",
                        "mapping.yaml:6:19: keepSourceId: expected true or false, not 'maybe'",
                        "mapping.yaml:9:16: column email: unknown key 'rename'; expected one of"
                            + " exclude, name, type, validator",
                        "mapping.yaml:10:20: column age: unknown type 'integer'; use one of epochMs,"
                            + " int64, isoString, json, number, string",
                        "mapping.yaml:11:26: column meta: the validator must be a Convex validator"
                            + " expression (v.…)",
                        "mapping.yaml:13:17: expected a list of column names, e.g. [rubic_id,"
                            + " tripletex_env]",
                        "mapping.yaml:14:3: tables: 'users' is given twice"));
  }

  @Test
  void malformedYamlNamesThePlace() {
    assertThatThrownBy(() -> MappingFile.parse("tables:\n  users: [a\n", "bad.yaml"))
        .isInstanceOf(CatalogException.class)
        .hasMessageStartingWith("bad.yaml:3:1: not valid YAML");
  }

  @Test
  void relationsMustNameAParent() {
    assertThatThrownBy(
            () ->
                MappingFile.parse(
                    "tables:\n  threads:\n    relations:\n      user_id: { field: owner }\n",
                    "r.yaml"))
        .isInstanceOf(CatalogException.class)
        .hasMessage("r.yaml:4:7: relation user_id: parent is missing");
    assertThat(
            MappingFile.parse("tables:\n  t:\n    relations:\n      a+b: x.y\n", "r.yaml")
                .table("public.t")
                .relations())
        .singleElement()
        .satisfies(r -> assertThat(r.columns()).isEqualTo(List.of("a", "b")));
  }
}
