package dev.pgconvex.source.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(90)
class PreflightIT {
  private static SourceSettings settings(
      String url, String user, String password, String tables, Map<String, String> extra) {
    Map<String, String> m = new HashMap<>();
    m.put("pg.jdbc.url", url);
    m.put("pg.user", user);
    m.put("pg.password", password);
    m.put("source.tables", tables);
    m.put("source.slot.name", TestNames.unique("slot"));
    m.put("source.publication.name", TestNames.unique("pub"));
    m.putAll(extra);
    return SourceSettings.from(SourceConfig.parse(m, k -> null));
  }

  private static void sql(Connection c, String... statements) throws SQLException {
    try (Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
  }

  @Test
  void reportsEveryProblemAtOnceWithItsFix() throws Exception {
    String url = SharedStack.freshDatabase("preflight");
    String db = url.substring(url.lastIndexOf('/') + 1);
    String role = TestNames.unique("norepl");
    String password = "pw-" + TestNames.unique("x");
    EmbeddedPostgresServer pg = SharedStack.postgres();
    try (Connection c = pg.connect(db)) {
      sql(
          c,
          "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
          "CREATE TABLE public.good (id int PRIMARY KEY)",
          "CREATE TABLE public.nopk (a int)",
          "CREATE TABLE public.keyed (a int, b int)",
          "CREATE TABLE public.full_ok (a int NOT NULL)",
          "ALTER TABLE public.full_ok REPLICA IDENTITY FULL",
          "CREATE TABLE public.nothing (id int PRIMARY KEY)",
          "ALTER TABLE public.nothing REPLICA IDENTITY NOTHING",
          "CREATE VIEW public.v AS SELECT 1 AS x",
          "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
    }
    SourceSettings s =
        settings(
            url,
            role,
            password,
            "public.good,public.nopk,public.keyed,public.full_ok,public.nothing,public.v,public.missing",
            Map.of("source.key.columns", "public.keyed:a+zz;public.full_ok:a"));

    assertThatThrownBy(() -> Preflight.run(s))
        .isInstanceOfSatisfying(
            SourcePreflightException.class,
            e -> {
              TableId good = new TableId("public", "good");
              TableId nopk = new TableId("public", "nopk");
              TableId keyed = new TableId("public", "keyed");
              TableId fullOk = new TableId("public", "full_ok");
              TableId nothing = new TableId("public", "nothing");
              assertThat(e.problems())
                  .containsExactlyInAnyOrder(
                      PreflightProblems.noReplication(role),
                      PreflightProblems.noKey(nopk),
                      PreflightProblems.noReplicaIdentity(keyed, "DEFAULT"),
                      PreflightProblems.keyColumnsMissing(keyed, java.util.List.of("zz")),
                      PreflightProblems.keyColumnsNullable(keyed, java.util.List.of("a")),
                      PreflightProblems.replicaIdentityNothing(nothing),
                      PreflightProblems.notATable(new TableId("public", "v"), "view"),
                      PreflightProblems.tableMissing(new TableId("public", "missing")),
                      PreflightProblems.cannotCreateHeartbeatTable(s.heartbeatTable(), role),
                      PreflightProblems.cannotCreatePublication(
                          s.publicationName(),
                          java.util.List.of(good, nopk, keyed, fullOk, nothing)));
              assertThat(e.getMessage()).doesNotContain(password);
            });
  }

  @Test
  void wrongPasswordIsUnavailableAndNeverShown() {
    String url = SharedStack.freshDatabase("badpw");
    SourceSettings s = settings(url, "postgres", "wrong-secret-pw", "public.x", Map.of());
    assertThatThrownBy(() -> Preflight.run(s))
        .isInstanceOf(SourceUnavailableException.class)
        .hasMessageContaining("as 'postgres'")
        .hasMessageNotContaining("wrong-secret-pw");
  }

  @Test
  void aSuperuserOnAReadyDatabasePasses() throws Exception {
    String url = SharedStack.freshDatabase("ready");
    EmbeddedPostgresServer pg = SharedStack.postgres();
    try (Connection c = pg.connect(url.substring(url.lastIndexOf('/') + 1))) {
      sql(c, "CREATE TABLE public.t (id int PRIMARY KEY)");
    }
    SourceSettings s = settings(url, pg.user(), pg.password().reveal(), "public.t", Map.of());
    try (Connection c = pg.connect(url.substring(url.lastIndexOf('/') + 1))) {
      assertThat(Preflight.check(c, s)).isEmpty();
    }
    Preflight.run(s); // and the whole run, connection included, passes
  }

  @Test
  void aPublicationOfAnotherOwnerThatLosesPartitionChangesIsRefusedWithTheAlter() throws Exception {
    String url = SharedStack.freshDatabase("pubroot");
    String db = url.substring(url.lastIndexOf('/') + 1);
    String role = TestNames.unique("repl");
    String password = "pw-" + TestNames.unique("x");
    String pub = TestNames.unique("userpub");
    try (Connection c = SharedStack.postgres().connect(db)) {
      sql(
          c,
          "CREATE ROLE " + role + " LOGIN REPLICATION PASSWORD '" + password + "'",
          "CREATE TABLE public.sale (sale_id int, sold_at date, PRIMARY KEY (sale_id, sold_at))"
              + " PARTITION BY RANGE (sold_at)",
          "CREATE TABLE public.sale_2024 PARTITION OF public.sale"
              + " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
          "CREATE TABLE public.plain (id int PRIMARY KEY)",
          "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
          "GRANT CREATE ON SCHEMA public TO " + role,
          // created by the superuser, as a DBA would: the source's role may not alter it
          "CREATE PUBLICATION " + pub + " FOR TABLE public.sale, public.plain");
    }
    SourceSettings s =
        settings(
            url,
            role,
            password,
            "public.sale,public.plain",
            Map.of("source.publication.name", pub));
    assertThatThrownBy(() -> Preflight.run(s))
        .isInstanceOfSatisfying(
            SourcePreflightException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        PreflightProblems.publicationNotViaRoot(
                            pub, java.util.List.of(new TableId("public", "sale")))));
    assertThat(PreflightProblems.publicationNotViaRoot(pub, java.util.List.of()))
        .contains("ALTER PUBLICATION \"" + pub + "\" SET (publish_via_partition_root = true)");

    // The DBA runs the statement: the same start passes.
    try (Connection c = SharedStack.postgres().connect(db)) {
      sql(c, PublicationState.fixStatement(pub));
    }
    Preflight.run(s);
  }

  @Test
  void aPublicationTheSourceOwnsIsFixedNotRefused() throws Exception {
    String url = SharedStack.freshDatabase("pubfix");
    String db = url.substring(url.lastIndexOf('/') + 1);
    String pub = TestNames.unique("oldpub");
    EmbeddedPostgresServer pg = SharedStack.postgres();
    try (Connection c = pg.connect(db)) {
      sql(
          c,
          "CREATE TABLE public.sale (sale_id int, sold_at date, PRIMARY KEY (sale_id, sold_at))"
              + " PARTITION BY RANGE (sold_at)",
          "CREATE TABLE public.sale_2024 PARTITION OF public.sale"
              + " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
          // as an older version left it: partitions published under their own names
          "CREATE PUBLICATION " + pub + " FOR TABLE public.sale");
    }
    SourceSettings s =
        settings(
            url,
            pg.user(),
            pg.password().reveal(),
            "public.sale",
            Map.of("source.publication.name", pub));
    Preflight.run(s);
    try (Connection c = pg.connect(db)) {
      assertThat(PublicationState.read(c, s).losesPartitionChanges()).isTrue();
      assertThat(PublicationState.fixIfNeeded(c, s)).isTrue();
      PublicationState fixed = PublicationState.read(c, s);
      assertThat(fixed.viaRoot()).isTrue();
      assertThat(fixed.losesPartitionChanges()).isFalse();
      assertThat(PublicationState.fixIfNeeded(c, s)).as("idempotent").isFalse();
    }
  }

  /**
   * A second, throw-away server: wal_level=replica cannot be tested on the shared one, and a lost
   * slot needs a tiny max_slot_wal_keep_size. Two short-lived servers, about a second each.
   */
  @Test
  void walLevelReplicaIsRefused() throws Exception {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), TestNames.unique("pg-replica"));
    try (EmbeddedPostgresServer pg =
        EmbeddedPostgresServer.builder(dir).serverConfig("wal_level", "replica").build()) {
      pg.start();
      try (Connection c = pg.connect("postgres")) {
        sql(c, "CREATE TABLE public.t (id int PRIMARY KEY)");
      }
      SourceSettings s =
          settings(pg.jdbcUrl("postgres"), pg.user(), pg.password().reveal(), "public.t", Map.of());
      assertThatThrownBy(() -> Preflight.run(s))
          .isInstanceOfSatisfying(
              SourcePreflightException.class,
              e -> assertThat(e.problems()).containsExactly(PreflightProblems.walLevel("replica")));
    }
  }

  @Test
  void lostSlotStopsWithResyncNeeded() throws Exception {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), TestNames.unique("pg-lost"));
    try (EmbeddedPostgresServer pg =
        EmbeddedPostgresServer.builder(dir)
            .serverConfig("max_slot_wal_keep_size", "1MB")
            .serverConfig("min_wal_size", "32MB")
            .build()) {
      pg.start();
      String slot = TestNames.unique("lost");
      try (Connection c = pg.connect("postgres")) {
        sql(
            c,
            "CREATE TABLE public.t (id int PRIMARY KEY)",
            "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        // Move the WAL on by several segments and checkpoint: the slot's WAL is removed.
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  sql(
                      c,
                      "INSERT INTO public.t SELECT coalesce(max(id), 0) + 1 FROM public.t",
                      "SELECT pg_switch_wal()",
                      "CHECKPOINT");
                  return "lost".equals(walStatus(c, slot));
                });
      }
      SourceSettings s =
          settings(
              pg.jdbcUrl("postgres"),
              pg.user(),
              pg.password().reveal(),
              "public.t",
              Map.of("source.slot.name", slot));
      assertThatThrownBy(() -> Preflight.run(s))
          .isInstanceOfSatisfying(
              SourcePreflightException.class,
              e -> assertThat(e.problems()).containsExactly(PreflightProblems.slotLost(slot)));
    }
  }

  private static String walStatus(Connection c, String slot) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
