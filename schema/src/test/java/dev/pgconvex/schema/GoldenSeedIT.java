package dev.pgconvex.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.stack.testing.SharedStack;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The seeds as golden cases: their Postgres tables plus a mapping file give the seeds' Convex
 * schemas, compared structurally (tables, fields, validators, indexes).
 */
@Timeout(120)
class GoldenSeedIT {
  /**
   * The Drizzle guide's four tables as Postgres DDL: the guide lists them (serial key, enums,
   * composite keys (rubic_id, env), timestamps) and its target schema.ts fixes the columns.
   */
  private static final List<String> GUIDE_DDL =
      List.of(
          "CREATE TYPE sync_type AS ENUM ('customers', 'products', 'invoices', 'payments')",
          "CREATE TYPE sync_status AS ENUM ('running', 'success', 'failed')",
          "CREATE TYPE tripletex_env AS ENUM ('sandbox', 'production')",
          "CREATE TABLE sync_state (id serial PRIMARY KEY, sync_type sync_type NOT NULL,"
              + " tripletex_env tripletex_env NOT NULL, last_sync_at timestamptz,"
              + " status sync_status NOT NULL, error_message text,"
              + " records_processed integer NOT NULL DEFAULT 0, records_failed integer NOT NULL DEFAULT 0,"
              + " started_at timestamptz NOT NULL DEFAULT now(), completed_at timestamptz)",
          "CREATE INDEX sync_state_type_env_idx ON sync_state (sync_type, tripletex_env)",
          "CREATE INDEX sync_state_status_idx ON sync_state (status)",
          "CREATE TABLE customer_mapping (rubic_id varchar(64) NOT NULL,"
              + " tripletex_env tripletex_env NOT NULL, tripletex_customer_id integer NOT NULL,"
              + " last_synced_at timestamptz NOT NULL DEFAULT now(), hash varchar(64),"
              + " PRIMARY KEY (rubic_id, tripletex_env))",
          "CREATE TABLE product_mapping (rubic_id varchar(64) NOT NULL,"
              + " tripletex_env tripletex_env NOT NULL, tripletex_product_id integer NOT NULL,"
              + " last_synced_at timestamptz NOT NULL DEFAULT now(), hash varchar(64),"
              + " PRIMARY KEY (rubic_id, tripletex_env))",
          "CREATE TABLE invoice_mapping (rubic_id integer NOT NULL,"
              + " tripletex_env tripletex_env NOT NULL, rubic_invoice_number integer NOT NULL,"
              + " tripletex_invoice_id integer NOT NULL,"
              + " last_synced_at timestamptz NOT NULL DEFAULT now(),"
              + " payment_synced boolean NOT NULL DEFAULT false,"
              + " PRIMARY KEY (rubic_id, tripletex_env))");

  private static final String GUIDE_MAPPING =
      """
      # The guide's renames and index names; everything else is the default translation.
      tables:
        sync_state:
          indexes:
            by_type_and_env: [sync_type, tripletex_env]
            by_status: [status]
        customer_mapping:
          columns:
            rubic_id: { name: rubicCustomerNo }
          indexes:
            by_rubic_and_env: [rubic_id, tripletex_env]
        product_mapping:
          columns:
            rubic_id: { name: rubicProductCode }
          indexes:
            by_rubic_and_env: [rubic_id, tripletex_env]
        invoice_mapping:
          columns:
            rubic_id: { name: rubicInvoiceId }
          indexes:
            by_rubic_and_env: [rubic_id, tripletex_env]
      """;

  @Test
  void drizzleGuideTablesGiveTheGuidesSchema() throws Exception {
    String url = SharedStack.freshDatabase("guide");
    execute(url, GUIDE_DDL);
    Mapping mapping;
    try (Connection c = connect(url)) {
      mapping =
          new CatalogReader(c)
              .read(List.of(), List.of(), MappingFile.parse(GUIDE_MAPPING, "guide.yaml"));
    }
    Path dir = FunctionsFolder.write(mapping, Files.createTempDirectory(tmp(), "golden-guide"));

    String guide = resource("seeds/drizzle-neon-to-convex-guide.txt");
    SchemaTsModel expected =
        SchemaTsModel.parse(
            between(guide, "// convex/schema.ts", "\n});") + "\n});",
            between(guide, "// convex/validators.ts", "\nUse these validators"));
    SchemaTsModel actual =
        SchemaTsModel.parse(
            Files.readString(dir.resolve("schema.ts")),
            Files.readString(dir.resolve("validators.ts")));

    assertThat(expected.fields()).hasSize(4); // the parse of the guide itself
    assertThat(actual.fields()).isEqualTo(expected.fields());
    assertThat(actual.indexes()).isEqualTo(expected.indexes());
    // The shared validators carry the guide's names, so its functions import them unchanged.
    assertThat(Files.readString(dir.resolve("validators.ts")))
        .contains("export const syncType = v.union(")
        .contains("export const syncStatus = v.union(")
        .contains("export const tripletexEnv = v.union(");
    assertThat(Files.readString(dir.resolve("schema.ts")))
        .contains("import { syncType, tripletexEnv, syncStatus } from \"./validators\";")
        .contains("...cdcTables");
  }

  @Test
  void vercelTablesGiveIdFieldsAndTheDemoSchema() throws Exception {
    String url = SharedStack.freshDatabase("vercel");
    String seed = resource("seeds/vercel-postgres-to-convex-migration.txt");
    execute(
        url,
        List.of(
            "CREATE SEQUENCE users_id_seq",
            "CREATE SEQUENCE threads_id_seq",
            "CREATE SEQUENCE messages_id_seq"));
    Matcher sql = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(seed);
    int blocks = 0;
    while (sql.find()) {
      execute(url, List.of(sql.group(1).split(";\\s*\\n")));
      blocks++;
    }
    assertThat(blocks).isEqualTo(3);
    String yaml =
        """
        tables:
          users:
            columns:
              credits: { type: string }       # exact decimal text, as the demo schema keeps it
          threads:
            relations:
              user_id: users                  # not declared as a foreign key in the seed
          messages:
            columns:
              cost_in_cents: { type: string }
            relations:
              thread_id: threads
        """;
    Mapping mapping;
    try (Connection c = connect(url)) {
      mapping = new CatalogReader(c).read(List.of(), List.of(), MappingFile.parse(yaml, "v.yaml"));
    }
    Path dir = FunctionsFolder.write(mapping, Files.createTempDirectory(tmp(), "golden-vercel"));
    SchemaTsModel actual =
        SchemaTsModel.parse(
            Files.readString(dir.resolve("schema.ts")),
            Files.readString(dir.resolve("validators.ts")));
    assertThat(actual.fields().get("threads")).containsEntry("userId", "v.id(\"users\")");
    assertThat(actual.fields().get("messages")).containsEntry("threadId", "v.id(\"threads\")");

    // The hand-written demo schema (convex/schema.ts) was made from the same DDL by the same rules.
    SchemaTsModel demo =
        SchemaTsModel.parse(Files.readString(Path.of("..", "convex", "schema.ts")), null);
    demo.fields().remove("orderItems");
    demo.indexes().remove("orderItems");
    assertThat(actual.fields()).isEqualTo(demo.fields());
    assertThat(actual.indexes()).isEqualTo(demo.indexes());
  }

  private static String between(String text, String from, String to) {
    int start = text.indexOf(from);
    assertThat(start).as("seed marker %s", from).isNotNegative();
    int end = text.indexOf(to, start);
    return text.substring(start, end);
  }

  static String resource(String name) throws IOException {
    try (InputStream in = GoldenSeedIT.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The build's temp folder (target/tmp); createTempDirectory alone may pick /tmp. */
  static Path tmp() throws IOException {
    return Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
  }

  static Connection connect(String url) throws Exception {
    var pg = SharedStack.postgres();
    return DriverManager.getConnection(url, pg.user(), pg.password().reveal());
  }

  static void execute(String url, List<String> statements) throws Exception {
    try (Connection c = connect(url);
        Statement st = c.createStatement()) {
      for (String s : statements) {
        if (!s.isBlank()) {
          st.execute(s);
        }
      }
    }
  }
}
