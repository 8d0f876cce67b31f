package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
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
 * The documented route for tables without a primary key: REPLICA IDENTITY FULL plus key columns,
 * from the mapping file ({@code key: [...]}) or {@code --set source.key.columns=...}; schema
 * generate takes them with {@code --key}. Inserts, updates (a key change too) and deletes are
 * mirrored, compared by content.
 */
@Timeout(300)
class KeylessTableIT {
  @Test
  void tablesWithoutPrimaryKeyAreMirroredByTheirConfiguredKey() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "it", "keyless-files"));
    Path mappingFile = Files.createTempFile(dir, "mapping", ".yaml");
    Files.writeString(mappingFile, "tables:\n  audit:\n    key: [tenant, seq]\n");
    PipelineSettings settings =
        ItSupport.sharedSettings("keyless", List.of("audit", "readings"), List.of())
            .withMappingFile(mappingFile)
            .withOverride("source.key.columns", "public.readings:sensor");
    try (Pipeline p = new Pipeline(settings)) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute(
            "CREATE TABLE audit (tenant text NOT NULL, seq int NOT NULL, what text,"
                + " amount numeric(10,2))");
        st.execute("CREATE UNIQUE INDEX ON audit (tenant, seq)");
        st.execute("ALTER TABLE audit REPLICA IDENTITY FULL");
        st.execute("CREATE TABLE readings (sensor text NOT NULL, reading float8, note text)");
        st.execute("ALTER TABLE readings REPLICA IDENTITY FULL");
        st.execute(
            "INSERT INTO audit SELECT 't' || (i % 3), i, 'snap ' || i, i * 1.5"
                + " FROM generate_series(1, 30) i");
        st.execute(
            "INSERT INTO readings SELECT 's' || i, i / 10.0, NULL FROM generate_series(1, 10) i");

        // schema generate: refused without a key, one line naming the fix; taken with --key
        Path pw = Files.createTempFile(dir, "pg", ".txt");
        Files.writeString(pw, SharedStack.postgres().password().reveal());
        List<String> base =
            List.of(
                "schema",
                "generate",
                "--pg-url",
                p.jdbcUrl(),
                "--pg-user",
                SharedStack.postgres().user(),
                "--pg-password-file",
                pw.toString(),
                "--tables",
                "audit,readings",
                "--out",
                Files.createTempDirectory(dir, "generated").toString());
        CliRun refused = CliRun.of(base.toArray(String[]::new));
        assertThat(refused.code).isEqualTo(1);
        assertThat(refused.err)
            .contains("table public.audit has no primary key")
            .contains("--key audit=col1,col2")
            .contains("REPLICA IDENTITY FULL")
            .doesNotContain("Exception");
        List<String> keyed = new java.util.ArrayList<>(base);
        keyed.addAll(List.of("--key", "audit=tenant,seq", "--key", "readings=sensor"));
        CliRun gen = CliRun.of(keyed.toArray(String[]::new));
        assertThat(gen.code).as(gen.err).isZero();
        assertThat(gen.err)
            .contains("source.key.columns=public.audit:tenant+seq;public.readings:sensor")
            // readings has no unique index on its key: said, not refused
            .contains("public.readings: no unique index on its key (sensor)");

        p.startServices();
        assertThat(p.mapping().tables())
            .extracting(TableMapping::table, TableMapping::primaryKey)
            .containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("audit", List.of("tenant", "seq")),
                org.assertj.core.groups.Tuple.tuple("readings", List.of("sensor")));
        assertThat(synced(p).synced()).isTrue();

        // streaming: inserts, updates, a key change (delete + create) and deletes
        st.execute(
            "INSERT INTO audit SELECT 't9', i, 'live ' || i, i FROM generate_series(1, 20) i");
        st.execute("INSERT INTO readings VALUES ('s99', 9.9, 'new')");
        st.execute("UPDATE audit SET what = 'changed', amount = 0.25 WHERE tenant = 't1'");
        st.execute("UPDATE readings SET reading = -1, note = 'moved' WHERE sensor = 's2'");
        st.execute("UPDATE audit SET seq = 1000 WHERE tenant = 't9' AND seq = 1");
        st.execute("DELETE FROM audit WHERE tenant = 't2'");
        st.execute("DELETE FROM readings WHERE sensor IN ('s3', 's4')");
        await()
            .atMost(Duration.ofSeconds(90))
            .untilAsserted(
                () -> {
                  Map<String, JsonNode> audit = PipelineIT.docs(p, "audit");
                  assertThat(audit).containsKey("[\"t9\",1000]").doesNotContainKey("[\"t9\",1]");
                  assertThat(audit.get("[\"t1\",1]").get("what").asText()).isEqualTo("changed");
                  assertThat(audit.keySet()).noneMatch(k -> k.startsWith("[\"t2\""));
                  Map<String, JsonNode> readings = PipelineIT.docs(p, "readings");
                  assertThat(readings.get("[\"s2\"]").get("note").asText()).isEqualTo("moved");
                  assertThat(readings).containsKey("[\"s99\"]").doesNotContainKey("[\"s3\"]");
                });
        SyncResult r = synced(p);
        assertThat(r.synced()).as(r.toJson().toString()).isTrue();
        assertThat(r.toJson().get("tables").get("audit").get("pgRows").asInt())
            .isEqualTo(30 - 10 + 20);
        assertThat(r.toJson().get("tables").get("readings").get("pgRows").asInt()).isEqualTo(9);
      }
    }
  }

  @Test
  void anIncrementalSnapshotCopiesATableWithoutPrimaryKeyByItsKey() throws Exception {
    PipelineSettings settings =
        ItSupport.sharedSettings("keyless_incr", List.of("audit"), List.of())
            .withOverride("source.key.columns", "public.audit:tenant+seq")
            .withOverride("source.snapshot.mode", "incremental")
            .withOverride("source.incremental.snapshot.chunk.size", "7");
    try (Pipeline p = new Pipeline(settings)) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute(
            "CREATE TABLE audit (tenant text NOT NULL, seq int NOT NULL, what text,"
                + " UNIQUE (tenant, seq))");
        st.execute("ALTER TABLE audit REPLICA IDENTITY FULL");
        st.execute(
            "INSERT INTO audit SELECT 't' || (i % 4), i, 'row ' || i FROM generate_series(1, 50) i");
        p.startServices();
        st.execute("UPDATE audit SET what = 'during' WHERE seq % 5 = 0");
        st.execute("DELETE FROM audit WHERE seq % 7 = 0");
        SyncResult r = synced(p);
        assertThat(r.synced()).as(r.toJson().toString()).isTrue();
        assertThat(r.toJson().get("tables").get("audit").get("pgRows").asInt()).isEqualTo(43);
      }
    }
  }

  private static SyncResult synced(Pipeline p) throws Exception {
    return new SyncWaiter(p).await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
  }
}
