package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.stack.testing.SharedStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A new user gives only the URL: {@code schema generate} and {@code run} take every table of {@code
 * public} that can be mirrored, and say which were left out and why.
 */
@Timeout(240)
class DefaultTablesIT {
  @Test
  void withoutTablesEveryTableOfPublicIsTakenAndTheRestNamed() throws Exception {
    try (Pipeline p =
        new Pipeline(ItSupport.sharedSettings("defaults", List.of(), DemoDatabase.RELATIONS))) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        DemoDatabase demo = new DemoDatabase(db, 3);
        demo.createSchema();
        demo.load(60);
        st.execute("CREATE TABLE audit (at timestamptz, what text)");
        st.execute("CREATE VIEW recent AS SELECT * FROM messages");

        Path pw = Files.createTempFile("pg", ".txt");
        Files.writeString(pw, SharedStack.postgres().password().reveal());
        Path out = Files.createTempDirectory("generated");
        CliRun gen =
            CliRun.of(
                "schema",
                "generate",
                "--pg-url",
                p.jdbcUrl(),
                "--pg-user",
                SharedStack.postgres().user(),
                "--pg-password-file",
                pw.toString(),
                "--relation",
                "threads.user_id->users",
                "--out",
                out.toString());
        assertThat(gen.code).as(gen.err).isZero();
        assertThat(gen.err)
            .contains("tables: public.messages, public.threads, public.users")
            .contains("skipped: public.audit: no primary key")
            .contains("skipped: public.recent: a view");
        assertThat(Files.readString(out.resolve("schema.ts"))).contains("users:", "threads:");

        // A mapping file says how tables are mirrored, not which: one table renamed, one left
        // out, the keyless one given a key; every other table is still taken.
        st.execute("ALTER TABLE audit REPLICA IDENTITY FULL");
        Path mappingFile = Files.createTempFile("mapping", ".yaml");
        Files.writeString(
            mappingFile,
            "tables:\n  users:\n    target: people\n  messages:\n    include: false\n"
                + "  audit:\n    key: [at]\n");
        st.execute("ALTER TABLE audit ALTER COLUMN at SET NOT NULL");
        Mapping withFile =
            dev.pgconvex.cli.pipeline.CatalogMapping.read(
                db,
                List.of(),
                List.of("threads.user_id->users"),
                mappingFile,
                "public",
                List.of(),
                Map.of());
        assertThat(withFile.tables())
            .extracting(TableMapping::table, TableMapping::target)
            .containsExactlyInAnyOrder(
                tuple("users", "people"), tuple("threads", "threads"), tuple("audit", "audit"));

        p.startServices();
        assertThat(p.mapping().tables())
            .extracting(TableMapping::table)
            .containsExactlyInAnyOrder("users", "threads", "messages");
        SyncResult r =
            new SyncWaiter(p).await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
        assertThat(r.synced()).as(r.toJson().toString()).isTrue();
      }
    }
  }
}
