package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./cdc run} as a user runs it, in processes of its own with its embedded broker and
 * emulator kept in one work dir: a second run resumes where the first stopped (no snapshot, rows
 * deleted in between gone from Convex), SIGTERM exits promptly and cleanly, and after a SIGKILL in
 * the middle of a write burst the next run takes the consumer groups over at once (static
 * membership) instead of waiting out the dead members' sessions. Every "synced" is a content
 * comparison of Convex with Postgres.
 */
@Timeout(600)
class RunRestartIT {
  // Long enough that waiting out a dead member's session would blow the sync timeout below.
  private static final String SESSION_TIMEOUT_MS = "120000";

  @Test
  void aRunResumesWhereTheLastStoppedAndACrashedOneIsTakenOverAtOnce() throws Exception {
    String url = SharedStack.freshDatabase("restart");
    EmbeddedPostgresServer pg = SharedStack.postgres();
    String unique = TestNames.unique("restart");
    Path work = Path.of("target", "it", unique).toAbsolutePath();
    Files.createDirectories(work);
    Path pw = work.resolve("pg.pw");
    Files.writeString(pw, pg.password().reveal());
    List<String> run = new ArrayList<>();
    run.addAll(
        List.of(
            "run",
            "--pg-url",
            url,
            "--pg-user",
            pg.user(),
            "--pg-password-file",
            pw.toString(),
            "--tables",
            String.join(",", DemoDatabase.TABLES),
            "--work-dir",
            work.resolve("cdc").toString(),
            "--set",
            "cdc.topic.prefix=" + unique,
            "--set",
            "source.slot.name=" + unique,
            "--set",
            "source.publication.name=" + unique + "_pub",
            "--set",
            "kafka.session.timeout.ms=" + SESSION_TIMEOUT_MS));
    DemoDatabase.RELATIONS.forEach(
        r -> {
          run.add("--relation");
          run.add(r);
        });

    try (Connection db = pg.connect(url.substring(url.lastIndexOf('/') + 1))) {
      DemoDatabase demo = new DemoDatabase(db, 7);
      demo.createSchema();
      demo.load(150);

      // 1. The first run snapshots and exits once synced.
      JsonNode first = syncedRun(run, "first");
      assertThat(first.get("snapshotRows").asLong()).isPositive();

      // 2. Changes while nothing runs: inserts, updates and deletes.
      demo.load(60);
      demo.churn(30, 15);
      try (Statement st = db.createStatement()) {
        st.executeUpdate("DELETE FROM messages WHERE id BETWEEN 1 AND 10");
      }

      // 3. The next run resumes from the stored position: no snapshot, deletes applied.
      JsonNode second = syncedRun(run, "second");
      assertThat(second.get("snapshotRows").asLong()).as("resumed, no re-snapshot").isZero();

      // 4. A long run stopped with SIGTERM while writes go on exits promptly and cleanly.
      try (ChildCli live = ChildCli.start(run)) {
        live.awaitErr("Mirroring", Duration.ofSeconds(120));
        for (int i = 0; i < 20; i++) {
          demo.writeSome();
        }
        long t0 = System.nanoTime();
        live.terminate();
        int code = live.awaitExit(Duration.ofSeconds(30));
        long stopMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("RunRestartIT: SIGTERM to exit took %d ms%n", stopMs);
        // 143 = 128 + SIGTERM: the JVM's status for a stop by signal, after the orderly close.
        assertThat(code).as(live.err()).isEqualTo(143);
        assertThat(live.err()).contains("CDC source closed", "Sink stopped");
        assertThat(stopMs).as("exit after SIGTERM, ms").isLessThan(20_000);
        assertThat(live.err()).as("no stack trace on a normal stop").doesNotContain("\tat ");
      }

      // 5. SIGKILL in the middle of a write burst.
      try (ChildCli crashed = ChildCli.start(run);
          Connection liveDb = pg.connect(url.substring(url.lastIndexOf('/') + 1))) {
        crashed.awaitErr("Mirroring", Duration.ofSeconds(120));
        DemoDatabase live = new DemoDatabase(liveDb, 8);
        live.adopt(demo);
        int before = live.messages();
        try (BackgroundLoad load = new BackgroundLoad(live, 5)) {
          // Kill once the burst is well under way.
          await().atMost(Duration.ofSeconds(60)).until(() -> messageCount(db) >= before + 40);
          crashed.kill();
        }
      }

      // 6. The next run takes over at once: with a 120 s session timeout, dynamic membership
      // would still be waiting for the dead members when this run's 90 s are up.
      JsonNode after = syncedRun(run, "after crash");
      assertThat(after.get("snapshotRows").asLong()).isZero();
      System.out.printf(
          "RunRestartIT: sync after SIGKILL took %d ms%n", after.get("elapsedMs").asLong());
    }
  }

  private static long messageCount(Connection db) throws Exception {
    try (Statement st = db.createStatement();
        var rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM messages")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static JsonNode syncedRun(List<String> run, String what) throws Exception {
    List<String> args = new ArrayList<>(run);
    args.addAll(List.of("--exit-when-synced", "--json", "--timeout-s", "90"));
    try (ChildCli cli = ChildCli.start(args)) {
      int code = cli.awaitExit(Duration.ofSeconds(240));
      assertThat(code).as(what + " run: " + cli.out() + "\n" + cli.err()).isZero();
      JsonNode summary = Json.parse(cli.out().strip());
      assertThat(summary.get("synced").asBoolean()).as(summary.toString()).isTrue();
      assertThat(summary.get("mismatches")).as(summary.toString()).isNullOrEmpty();
      return summary;
    }
  }
}
