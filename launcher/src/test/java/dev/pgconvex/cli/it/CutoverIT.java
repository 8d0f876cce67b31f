package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.stack.testing.SharedStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./cdc cutover} on one running pipeline (parents and children, a relation without a
 * constraint so a child can be an orphan): {@code --check} not ready on a lagging pipeline, with an
 * orphan held and with dead letters; {@code --freeze lock} under a steady write load from several
 * connections (switched, the pause reported, no write lost: Convex equals Postgres by content
 * afterwards); SIGINT while frozen (released); {@code --freeze read-only} for the application's
 * role (its writes refused, its old sessions ended, undone by the release); the sink stopped during
 * the drain (timeout, released, writes accepted again, exit 1 with the reason). The cases share the
 * pipeline, so they run in order; the sink one stops the sink and comes last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(240)
class CutoverIT {
  private Pipeline p;
  private Path pwFile;
  private Path keyFile;
  private String adminKey;

  @BeforeAll
  void start() throws Exception {
    p =
        new Pipeline(
            ItSupport.sharedSettings(
                    "cutover",
                    List.of("public.parents", "public.children"),
                    List.of("children.parent_id->parents"))
                .withOverride("source.heartbeat.interval.ms", "300")
                // Long enough that the snapshot's children, waiting a round trip through Convex for
                // their parents' ids on a busy machine, are not reported as orphans (dead letters);
                // short enough that the orphan check (every quarter of it) ages the test's orphan.
                .withOverride("transformer.orphan.report.after.ms", "20000"));
    p.startInfrastructure();
    try (Connection db = p.connect();
        Statement st = db.createStatement()) {
      st.execute("CREATE TABLE parents (id bigint PRIMARY KEY, name text NOT NULL)");
      st.execute(
          "CREATE TABLE children (id bigint PRIMARY KEY, parent_id bigint NOT NULL, note text)");
      st.execute("INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 200) g");
      st.execute("INSERT INTO children SELECT g, 1 + g % 200, 'c' FROM generate_series(1, 400) g");
    }
    p.startServices();
    SyncResult r =
        new SyncWaiter(p).await(Duration.ofSeconds(90), System.nanoTime(), p.currentWalLsn());
    assertThat(r.synced()).as(r.toJson().toString()).isTrue();
    adminKey = p.convexAdminKey().reveal();
    keyFile = p.workDir().resolve("admin.key");
    Files.writeString(keyFile, adminKey);
    pwFile = p.workDir().resolve("pg.password");
    Files.writeString(pwFile, SharedStack.postgres().password().reveal());
  }

  @AfterAll
  void stop() {
    if (p != null) {
      p.close();
    }
  }

  @Test
  @Order(1)
  void checkListsEveryCheckAndALaggingPipelineIsNotReady() {
    CliRun ready = cutover("--check", "--json");
    assertThat(ready.code).as(ready.out + ready.err).isZero();
    JsonNode j = Json.parse(ready.out);
    assertThat(j.get("result").asText()).isEqualTo("ready");
    assertThat(j.get("checks")).hasSizeGreaterThanOrEqualTo(6);
    j.get("checks").forEach(c -> assertThat(c.get("value").asText()).isNotBlank());

    CliRun lagging = cutover("--check", "--json", "--max-lag-ms", "1");
    assertThat(lagging.code).as(lagging.out + lagging.err).isEqualTo(1);
    JsonNode l = Json.parse(lagging.out);
    assertThat(l.get("result").asText()).isEqualTo("not ready");
    assertThat(l.get("reason").asText()).contains("endToEndLag").contains("--max-lag-ms");
    assertThat(check(l, "endToEndLag").get("verdict").asText()).isEqualTo("not ok");
  }

  @Test
  @Order(2)
  void anOrphanHeldIsNotReady() throws Exception {
    exec("INSERT INTO children VALUES (90001, 99999, 'orphan')");
    // Held longer than --orphan-after-ms: an orphan, not a child waiting for its parent's id (the
    // transformer tells the age as of its last orphan check, so the check is read until it does).
    JsonNode[] seen = new JsonNode[1];
    await("orphan held")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              CliRun r = cutover("--check", "--json", "--orphan-after-ms", "2000");
              seen[0] = Json.parse(r.out);
              return r.code == 1;
            });
    JsonNode j = seen[0];
    assertThat(j.get("result").asText()).isEqualTo("not ready");
    assertThat(check(j, "orphans").get("verdict").asText()).isEqualTo("not ok");
    assertThat(check(j, "orphans").get("value").asText()).contains("held for a parent");
    CliRun human = cutover("--check", "--orphan-after-ms", "2000");
    assertThat(human.out)
        .contains("check  orphans")
        .contains("not ok")
        .contains("result: not ready");
    exec("INSERT INTO parents VALUES (99999, 'late parent')");
    await("orphan released")
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> ((TransformerStatus) p.transformer().status().orElseThrow()).pendingRows() == 0);
  }

  @Test
  @Order(3)
  void deadLettersAreNotReadyUntilAcknowledged() throws Exception {
    try (var producer =
        new KafkaProducer<String, String>(
            p.kafkaClientProps(), new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(p.topics().ops(), 0, "poison", "not an op")).get();
    }
    await("dead-lettered").atMost(Duration.ofSeconds(30)).until(() -> p.sink().deadLetters() > 0);
    CliRun r = cutover("--check", "--json");
    assertThat(r.code).as(r.out + r.err).isEqualTo(1);
    JsonNode d = check(Json.parse(r.out), "deadLetters");
    assertThat(d.get("verdict").asText()).isEqualTo("not ok");
    assertThat(d.get("reason").asText()).contains("--accept-dead-letters");
    CliRun acked = cutover("--check", "--json", "--accept-dead-letters", deadLetters());
    assertThat(acked.code).as(acked.out + acked.err).isZero();
  }

  @Test
  @Order(4)
  void aLockCutoverUnderLoadLosesNoWriteAndReportsThePause() throws Exception {
    // A rehearsal first: no pause, nothing switched, a clean full verify recorded as the baseline.
    CliRun rehearsal =
        cutover(
            "--freeze",
            "none",
            "--verify",
            "full",
            "--json",
            "--accept-dead-letters",
            deadLetters());
    System.out.println("./cdc cutover --freeze none:\n" + rehearsal.err + rehearsal.out);
    assertThat(rehearsal.code).as(rehearsal.out + rehearsal.err).isZero();
    assertThat(Json.parse(rehearsal.out).get("result").asText()).isEqualTo("rehearsed");
    try (Writers load = new Writers(3, 1_000_000)) {
      BackgroundLoad.letRun(Duration.ofSeconds(1));
      CliRun r =
          cutover(
              "--freeze",
              "lock",
              "--verify",
              "changed",
              "--max-pause-s",
              "20",
              "--on-frozen",
              "echo flipping the application to Convex >&2",
              "--json",
              "--accept-dead-letters",
              deadLetters());
      System.out.println("./cdc cutover --freeze lock under load:\n" + r.err + r.out);
      assertThat(r.code).as(r.out + r.err).isZero();
      JsonNode j = Json.parse(r.out);
      assertThat(j.get("result").asText()).isEqualTo("switched");
      assertThat(j.get("pauseMs").asLong()).isPositive().isLessThan(20_000);
      assertThat(j.get("markerLsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
      assertThat(j.get("steps"))
          .extracting(s -> s.get("name").asText())
          .containsSubsequence(
              "readiness", "freeze", "drain", "verify", "on-frozen", "record", "release");
      j.get("steps").forEach(s -> assertThat(s.get("outcome").asText()).isEqualTo("ok"));
      assertThat(j.get("hops").get("totalMs").asLong()).isNotNegative();
      assertThat(r.err).contains("flipping the application to Convex");
      BackgroundLoad.letRun(Duration.ofMillis(500)); // writers that waited on the lock commit now
      load.stopAndCheck();
      assertThat(load.committed()).hasSizeGreaterThan(50);
    }
    // Every write is in Postgres and mirrored: Convex equals Postgres by content.
    SyncResult synced =
        new SyncWaiter(p).await(Duration.ofSeconds(60), System.nanoTime(), p.currentWalLsn());
    assertThat(synced.synced()).as(synced.toJson().toString()).isTrue();

    JsonNode state =
        p.convex().query("cdc/cutover:lastCutover", Map.of("pipeline", p.topics().prefix()));
    assertThat(state.get("state").asText()).isEqualTo("switched");
    assertThat(state.get("times").fieldNames())
        .toIterable()
        .contains("ready", "freezing", "draining", "verifying", "switched");
    assertThat(state.get("pauseMs").asLong()).isPositive();

    CliRun status =
        CliRun.of(
            "status",
            "--endpoint",
            p.endpoint().url(),
            "--convex-url",
            p.convexUrl(),
            "--convex-admin-key-file",
            keyFile.toString(),
            "--prefix",
            p.topics().prefix(),
            "--json");
    assertThat(Json.parse(status.out).at("/lastCutover/state").asText())
        .as(status.out + status.err)
        .isEqualTo("switched");
    // ./cdc run and demo serve it themselves: no Convex URL needed
    CliRun served = CliRun.of("status", "--endpoint", p.endpoint().url());
    assertThat(served.out).as(served.out + served.err).containsPattern("cutover +switched");
  }

  @Test
  @Order(5)
  void sigintWhileFrozenReleasesTheFreeze() throws Exception {
    List<String> args =
        args(
            "--freeze",
            "lock",
            "--verify",
            "changed",
            "--max-pause-s",
            "60",
            "--hook-timeout-s",
            "60",
            "--on-frozen",
            "echo FROZEN-HOOK >&2; sleep 60",
            "--accept-dead-letters",
            deadLetters());
    try (ChildCli cli = ChildCli.start(args)) {
      cli.awaitErr("FROZEN-HOOK", Duration.ofSeconds(60));
      // Frozen: a write waits on the lock.
      try (Connection c = p.connect();
          Statement st = c.createStatement()) {
        st.execute("SET lock_timeout = '300ms'");
        assertThatThrownBy(() -> st.executeUpdate("INSERT INTO parents VALUES (80001, 'x')"))
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("lock timeout");
      }
      cli.interrupt();
      int code = cli.awaitExit(Duration.ofSeconds(40));
      assertThat(code).as(cli.err()).isNotZero();
      assertThat(cli.err()).contains("interrupted").contains("release ");
      assertThat(cli.out()).contains("result: aborted");
    }
    try (Connection c = p.connect();
        Statement st = c.createStatement()) {
      st.execute("SET lock_timeout = '5s'");
      assertThat(st.executeUpdate("INSERT INTO parents VALUES (80002, 'after')")).isEqualTo(1);
    }
    JsonNode state =
        p.convex().query("cdc/cutover:lastCutover", Map.of("pipeline", p.topics().prefix()));
    assertThat(state.get("state").asText()).isEqualTo("aborted");
    assertThat(state.get("step").asText()).isEqualTo("on-frozen");
  }

  @Test
  @Order(6)
  void aReadOnlyFreezeRefusesTheRolesWritesAndIsUndoneByRelease() throws Exception {
    String role = "app_" + p.topics().prefix().replaceAll("[^a-z0-9_]", "_");
    exec("CREATE ROLE " + role + " LOGIN PASSWORD 'app'");
    exec("GRANT SELECT, INSERT, UPDATE ON parents, children TO " + role);
    try (Connection before = appConnection(role);
        ChildCli cli =
            ChildCli.start(
                args(
                    "--freeze",
                    "read-only",
                    "--freeze-role",
                    role,
                    "--verify",
                    "none",
                    "--on-frozen",
                    "echo FROZEN-RO >&2; sleep 2",
                    "--accept-dead-letters",
                    deadLetters()))) {
      cli.awaitErr("FROZEN-RO", Duration.ofSeconds(60));
      // The role's session from before the freeze was ended; a new one cannot write.
      assertThatThrownBy(() -> before.createStatement().executeQuery("SELECT 1"))
          .isInstanceOf(SQLException.class);
      try (Connection during = appConnection(role);
          Statement st = during.createStatement()) {
        assertThatThrownBy(() -> st.executeUpdate("INSERT INTO parents VALUES (60001, 'ro')"))
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("read-only");
      }
      assertThat(cli.awaitExit(Duration.ofSeconds(60))).as(cli.err()).isZero();
      assertThat(cli.out()).contains("result: switched");
    }
    try (Connection after = appConnection(role);
        Statement st = after.createStatement()) {
      assertThat(st.executeUpdate("INSERT INTO parents VALUES (60002, 'after')")).isEqualTo(1);
    }
    assertThat(leftovers()).isZero();
    // A cutover that died while frozen left its read-only setting behind: --abort undoes it.
    exec(
        "ALTER ROLE "
            + role
            + " IN DATABASE "
            + database()
            + " SET default_transaction_read_only = on");
    exec(
        "ALTER ROLE "
            + role
            + " IN DATABASE "
            + database()
            + " SET pgconvex.cutover_freeze = 'c-dead'");
    CliRun abort = cutover("--abort", "--json");
    assertThat(abort.code).as(abort.out + abort.err).isZero();
    assertThat(Json.parse(abort.out).get("undone").toString()).contains(role).contains("c-dead");
    assertThat(leftovers()).isZero();
  }

  private String database() throws SQLException {
    try (Connection c = p.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_database()")) {
      rs.next();
      return "\"" + rs.getString(1) + "\"";
    }
  }

  // Read-only settings a freeze could leave in the catalog.
  private int leftovers() throws SQLException {
    try (Connection c = p.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_db_role_setting, unnest(setconfig) s"
                    + " WHERE s LIKE 'pgconvex.cutover_freeze=%'"
                    + " OR s LIKE 'default_transaction_read_only=%'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private Connection appConnection(String role) throws SQLException {
    return java.sql.DriverManager.getConnection(p.jdbcUrl(), role, "app");
  }

  @Test
  @Order(7)
  void aSinkStoppedDuringTheDrainTimesOutAndReleases() throws Exception {
    try (Connection blocker = p.connect()) {
      // An open write transaction: the cutover's lock waits for it, after its readiness passed (the
      // pause, and --max-pause-s, count from there: the sink is stopped and the lock taken within
      // it).
      blocker.setAutoCommit(false);
      try (Statement st = blocker.createStatement()) {
        st.executeUpdate("INSERT INTO parents VALUES (70001, 'open')");
      }
      try (ChildCli cli =
          ChildCli.start(
              args(
                  "--freeze",
                  "lock",
                  "--verify",
                  "none",
                  "--max-pause-s",
                  "6",
                  "--freeze-timeout-s",
                  "60",
                  "--json",
                  "--accept-dead-letters",
                  deadLetters()))) {
        await("the cutover waits for the lock")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> cutoverWaitsForLock() || !cliAlive(cli));
        p.sink().close();
        blocker.commit();
        int code = cli.awaitExit(Duration.ofSeconds(60));
        assertThat(code).as(cli.out() + cli.err()).isEqualTo(1);
        JsonNode j = Json.parse(cli.out());
        assertThat(j.get("result").asText()).isEqualTo("aborted");
        assertThat(j.get("failedStep").asText()).isEqualTo("drain");
        assertThat(j.get("reason").asText())
            .contains("ops partitions within --max-pause-s 6 s")
            .doesNotContain(adminKey);
        assertThat(j.get("pauseMs").asLong()).isGreaterThanOrEqualTo(6_000);
        assertThat(cli.err()).doesNotContain(adminKey).doesNotContain("Exception");
      }
    }
    try (Connection c = p.connect();
        Statement st = c.createStatement()) {
      st.execute("SET lock_timeout = '5s'");
      assertThat(st.executeUpdate("INSERT INTO parents VALUES (70002, 'after')")).isEqualTo(1);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static boolean cliAlive(ChildCli cli) {
    try {
      return !cli.out().contains("\"result\"");
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private boolean cutoverWaitsForLock() throws SQLException {
    try (Connection c = p.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgconvex-cutover'"
                    + " AND wait_event_type = 'Lock'")) {
      rs.next();
      return rs.getInt(1) > 0;
    }
  }

  private String deadLetters() {
    long t = ((TransformerStatus) p.transformer().status().orElseThrow()).deadLetters();
    return Long.toString(t + p.sink().deadLetters());
  }

  private static JsonNode check(JsonNode report, String name) {
    for (JsonNode c : report.get("checks")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no check " + name + " in " + report);
  }

  private void exec(String sql) throws SQLException {
    try (Connection c = p.connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private List<String> args(String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "cutover",
                "--pg-url",
                p.jdbcUrl(),
                "--pg-user",
                SharedStack.postgres().user(),
                "--pg-password-file",
                pwFile.toString(),
                "--mapping",
                p.workDir().resolve("convex").resolve("pgconvex.mapping.json").toString(),
                "--convex-url",
                p.convexUrl(),
                "--convex-admin-key-file",
                keyFile.toString(),
                "--endpoint",
                p.endpoint().url(),
                "--prefix",
                p.topics().prefix()));
    a.addAll(List.of(extra));
    return a;
  }

  private CliRun cutover(String... extra) {
    return CliRun.of(args(extra).toArray(String[]::new));
  }

  /**
   * Several connections each writing parents (inserts, now and then an update) and children at a
   * steady pace; remembers every committed parent id.
   */
  private final class Writers implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService pool;
    private final List<Future<?>> tasks = new ArrayList<>();
    private final Set<Long> committed = new ConcurrentSkipListSet<>();
    private final AtomicLong next;

    Writers(int connections, long firstId) {
      next = new AtomicLong(firstId);
      pool = Executors.newFixedThreadPool(connections);
      for (int i = 0; i < connections; i++) {
        tasks.add(pool.submit(this::write));
      }
    }

    private Void write() throws Exception {
      try (Connection c = p.connect();
          PreparedStatement parent = c.prepareStatement("INSERT INTO parents VALUES (?, ?)");
          PreparedStatement child =
              c.prepareStatement("INSERT INTO children VALUES (?, ?, 'load')");
          PreparedStatement edit = c.prepareStatement("UPDATE parents SET name = ? WHERE id = ?")) {
        long pace = System.nanoTime();
        while (running.get()) {
          long id = next.incrementAndGet();
          parent.setLong(1, id);
          parent.setString(2, "w" + id);
          parent.executeUpdate();
          committed.add(id);
          child.setLong(1, id);
          child.setLong(2, id);
          child.executeUpdate();
          if (id % 3 == 0) {
            edit.setString(1, "edited " + id);
            edit.setLong(2, id - 1);
            edit.executeUpdate();
          }
          pace += 20_000_000L; // 50 steps (about 120 rows) a second per connection
          long wait = pace - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
        }
      }
      return null;
    }

    Set<Long> committed() {
      return committed;
    }

    void stopAndCheck() throws Exception {
      running.set(false);
      for (Future<?> f : tasks) {
        f.get(60, TimeUnit.SECONDS);
      }
    }

    @Override
    public void close() throws Exception {
      running.set(false);
      pool.shutdown();
      pool.awaitTermination(60, TimeUnit.SECONDS);
    }
  }
}
