package dev.pgconvex.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.stack.testing.SharedStack;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class CatalogReaderIT {
  private static String url;

  @BeforeAll
  static void schema() throws Exception {
    url = SharedStack.freshDatabase("catalog");
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      // The seed's Vercel tables: relations exist but are not declared as foreign keys.
      st.execute(
          "CREATE TABLE users (id serial PRIMARY KEY, clerk_user_id varchar(255) NOT NULL,"
              + " email varchar(255) NOT NULL, image varchar(255), credits numeric(10,2) NOT NULL DEFAULT 0,"
              + " \"createdAt\" timestamptz DEFAULT CURRENT_TIMESTAMP)");
      st.execute(
          "CREATE TABLE threads (id serial PRIMARY KEY, user_id int4 NOT NULL,"
              + " clerk_user_id varchar(255) NOT NULL, metadata jsonb, \"createdAt\" timestamptz)");
      st.execute(
          "CREATE TABLE messages (id serial PRIMARY KEY, thread_id int4 NOT NULL, content text NOT NULL)");
      // A NOT NULL cycle, a self reference, a composite key and a composite foreign key.
      st.execute("CREATE TABLE store (store_id int PRIMARY KEY, manager_id int NOT NULL)");
      st.execute(
          "CREATE TABLE staff (staff_id int PRIMARY KEY, store_id int NOT NULL REFERENCES store,"
              + " boss_id int REFERENCES staff)");
      st.execute(
          "ALTER TABLE store ADD FOREIGN KEY (manager_id) REFERENCES staff DEFERRABLE INITIALLY DEFERRED");
      st.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
      st.execute(
          "CREATE TABLE orders (order_id bigint, region text, mood mood, tags text[], amount numeric(20,4),"
              + " price numeric(12,2), raw bytea, born date, at timestamp(3), PRIMARY KEY (order_id, region))");
      st.execute(
          "CREATE TABLE order_lines (order_id bigint NOT NULL, region text NOT NULL, line_no int,"
              + " PRIMARY KEY (order_id, region, line_no), FOREIGN KEY (order_id, region) REFERENCES orders)");
      st.execute("CREATE TABLE odd (id int PRIMARY KEY, spot point)");
      st.execute("CREATE TABLE nokey (a int)");
      st.execute("CREATE TABLE audit (at timestamptz NOT NULL, what text NOT NULL, note text)");
      st.execute("ALTER TABLE audit REPLICA IDENTITY FULL");
      st.execute("CREATE UNIQUE INDEX ON audit (at, what)");
      st.execute("CREATE TABLE loose (a int NOT NULL, b int)");
    }
  }

  private static Connection connect() throws Exception {
    var pg = SharedStack.postgres();
    return DriverManager.getConnection(url, pg.user(), pg.password().reveal());
  }

  private static Mapping read(List<String> tables, List<String> relations) throws Exception {
    try (Connection c = connect()) {
      return new CatalogReader(c)
          .read(tables, relations.stream().map(RelationSpec::parse).toList());
    }
  }

  @Test
  void seedTablesGetIdFieldsFromConfiguredRelations() throws Exception {
    Mapping m =
        read(
            List.of("users", "threads", "messages"),
            List.of("threads.user_id->users", "messages.thread_id->threads"));
    TableMapping threads = m.byTarget("threads").orElseThrow();
    assertThat(threads.relations())
        .containsExactly(new RelationMapping("userId", List.of("user_id"), "users", false));
    assertThat(threads.columns())
        .extracting(ColumnMapping::field)
        .containsExactly("clerkUserId", "metadata", "createdAt");
    TableMapping users = m.byTarget("users").orElseThrow();
    assertThat(users.primaryKey()).containsExactly("id");
    assertThat(users.columns()).extracting(ColumnMapping::field).doesNotContain("id");
    assertThat(col(users, "credits").type()).isEqualTo(FieldType.NUMBER);
    assertThat(col(users, "createdAt").type()).isEqualTo(FieldType.TIMESTAMPTZ_MS);
    assertThat(col(users, "image").nullable()).isTrue();

    String ts = SchemaTsWriter.write(m);
    assertThat(ts)
        .contains("userId: v.id(\"users\")")
        .contains("threadId: v.id(\"threads\")")
        .contains(".index(\"by_userId\", [\"userId\"])")
        .contains("image: v.optional(v.string())")
        .contains("...cdcTables");
  }

  @Test
  void cyclesAndSelfReferencesBecomeOptional() throws Exception {
    Mapping m = read(List.of("store", "staff"), List.of());
    assertThat(m.byTarget("store").orElseThrow().relations())
        .containsExactly(new RelationMapping("managerId", List.of("manager_id"), "staff", true));
    assertThat(m.byTarget("staff").orElseThrow().relations())
        .containsExactlyInAnyOrder(
            new RelationMapping("storeId", List.of("store_id"), "store", true),
            new RelationMapping("bossId", List.of("boss_id"), "staff", true));
  }

  @Test
  void typesCompositeKeysAndCompositeForeignKeys() throws Exception {
    Mapping m = read(List.of("orders", "order_lines"), List.of());
    TableMapping orders = m.byTarget("orders").orElseThrow();
    assertThat(orders.primaryKey()).containsExactly("order_id", "region");
    assertThat(col(orders, "orderId").type()).isEqualTo(FieldType.INT64);
    assertThat(col(orders, "mood").enumValues()).containsExactly("sad", "ok", "happy");
    assertThat(col(orders, "tags").type()).isEqualTo(FieldType.ARRAY);
    assertThat(col(orders, "tags").elementType()).isEqualTo(FieldType.STRING);
    assertThat(col(orders, "amount").type()).isEqualTo(FieldType.DECIMAL_STRING);
    assertThat(col(orders, "price").type()).isEqualTo(FieldType.NUMBER);
    assertThat(col(orders, "raw").type()).isEqualTo(FieldType.BYTES);
    assertThat(col(orders, "born").type()).isEqualTo(FieldType.DATE_STRING);
    assertThat(col(orders, "at").type()).isEqualTo(FieldType.TIMESTAMP_MS);
    assertThat(col(orders, "at").pgType()).isEqualTo("timestamp(3) without time zone");
    assertThat(m.byTarget("orderLines").orElseThrow().relations())
        .containsExactly(
            new RelationMapping("ordersId", List.of("order_id", "region"), "orders", false));
    assertThat(SchemaTsWriter.write(m))
        .contains(
            "mood: v.optional(v.union(v.literal(\"sad\"), v.literal(\"ok\"), v.literal(\"happy\")))")
        .contains(".index(\"by_orderId_region\", [\"orderId\", \"region\"])");
  }

  @Test
  void everyProblemIsReportedAtOnceWithTheFix() {
    assertThatThrownBy(() -> read(List.of("odd", "nokey", "missing"), List.of("odd.nope->users")))
        .isInstanceOf(CatalogException.class)
        .satisfies(e -> assertThat(((CatalogException) e).problems()).hasSize(3))
        .hasMessageContaining("table public.nokey has no primary key")
        .hasMessageContaining("table public.missing does not exist")
        .hasMessageContaining("column nope does not exist in public.odd");
    assertThatThrownBy(() -> read(List.of("odd"), List.of()))
        .isInstanceOf(CatalogException.class)
        .hasMessageContaining("column public.odd.spot has type point")
        .hasMessageContaining("type override");
  }

  @Test
  void aTableWithoutPrimaryKeyIsKeyedByItsConfiguredColumns() throws Exception {
    MappingFile file = MappingFile.parse("tables:\n  audit:\n    key: [at, what]\n", "m.yaml");
    try (Connection c = connect()) {
      CatalogReader reader = new CatalogReader(c);
      TableMapping audit =
          reader.read(List.of("audit"), List.of(), file).byTarget("audit").orElseThrow();
      assertThat(audit.primaryKey()).containsExactly("at", "what");
      assertThat(audit.configuredKey()).isTrue();
      // the key columns stay fields (nothing replaces them), with the natural key's index
      assertThat(audit.columns()).extracting(ColumnMapping::field).contains("at", "what", "note");
      assertThat(audit.indexes()).containsEntry("by_at_what", List.of("at", "what"));
      assertThat(reader.warnings()).noneMatch(w -> w.contains("public.audit"));

      // the same from the command line, and the source's key columns in its own syntax
      Mapping fromCli =
          reader.read(
              List.of("audit", "users"),
              List.of(),
              MappingFile.EMPTY,
              java.util.Map.of("public.audit", List.of("at", "what")));
      assertThat(fromCli.byTarget("audit").orElseThrow().primaryKey())
          .containsExactly("at", "what");
      assertThat(fromCli.byTarget("users").orElseThrow().configuredKey()).isFalse();
      assertThat(fromCli.sourceKeyColumns()).isEqualTo("public.audit:at+what");
      assertThat(SchemaDiff.compare(c, fromCli, List.of()).isEmpty()).isTrue();

      // no replica identity FULL, no unique index: keyed, with a warning for each
      TableMapping loose =
          reader
              .read(
                  List.of("loose"),
                  List.of(),
                  MappingFile.EMPTY,
                  java.util.Map.of("public.loose", List.of("a")))
              .byTarget("loose")
              .orElseThrow();
      assertThat(loose.primaryKey()).containsExactly("a");
      assertThat(reader.warnings())
          .anySatisfy(w -> assertThat(w).contains("public.loose", "REPLICA IDENTITY FULL"))
          .anySatisfy(w -> assertThat(w).contains("public.loose", "no unique index"));
    }
  }

  @Test
  void configuredKeysThatCannotBeAKeyAreProblems() throws Exception {
    try (Connection c = connect()) {
      CatalogReader reader = new CatalogReader(c);
      assertThatThrownBy(
              () ->
                  reader.read(
                      List.of("loose", "users", "audit"),
                      List.of(),
                      MappingFile.parse("tables:\n  audit:\n    key: [at]\n", "m.yaml"),
                      java.util.Map.of(
                          "public.loose", List.of("a", "b", "zz"),
                          "public.users", List.of("email"),
                          "public.audit", List.of("at", "what"),
                          "public.odd", List.of("id"))))
          .isInstanceOfSatisfying(
              CatalogException.class,
              e ->
                  assertThat(e.problems())
                      .containsExactlyInAnyOrder(
                          "key columns of public.odd: the table is not captured; add it to the"
                              + " tables or drop its key",
                          "key columns of public.loose: column b is nullable, and a key column"
                              + " must not be NULL: run ALTER TABLE public.loose ALTER COLUMN b"
                              + " SET NOT NULL, or choose other columns",
                          "key columns of public.loose: column zz does not exist in public.loose"
                              + " (columns: a, b)",
                          "key columns of public.users: the table has a primary key (id), which"
                              + " is its key; key columns are for tables without one: drop them",
                          "m.yaml:3:10: key of public.audit is [at] here but [at, what] on the"
                              + " command line; give it once"));
    }
  }

  private static ColumnMapping col(TableMapping t, String field) {
    return t.columns().stream().filter(c -> c.field().equals(field)).findFirst().orElseThrow();
  }
}
