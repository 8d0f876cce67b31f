package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.stack.testing.SharedStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The write pause of {@code ./cdc cutover --freeze lock --verify changed} under a steady load of
 * about 500 rows/s from four connections: five cutovers after a rehearsal, each one's pause, drain,
 * verify and marker hops, then the median and the maximum. Not part of the suite (not an {@code
 * *IT}); run it by hand:
 *
 * <pre>
 * ./mvnw -o -pl launcher verify -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dit.test=CutoverBench
 * </pre>
 */
@Timeout(600)
class CutoverBench {
  private static final int CUTOVERS = 5;
  private static final int CONNECTIONS = 4;
  private static final double ROWS_PER_SECOND = 500;

  @Test
  void pauseUnderLoad() throws Exception {
    try (Pipeline p =
        new Pipeline(
            ItSupport.sharedSettings(
                    "cutoverbench",
                    List.of("public.parents", "public.children"),
                    List.of("children.parent_id->parents"))
                .withOverride("source.heartbeat.interval.ms", "500"))) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute("CREATE TABLE parents (id bigint PRIMARY KEY, name text NOT NULL)");
        st.execute(
            "CREATE TABLE children (id bigint PRIMARY KEY, parent_id bigint NOT NULL, note text)");
        st.execute("INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 1000) g");
        st.execute(
            "INSERT INTO children SELECT g, 1 + g % 1000, 'c' FROM generate_series(1, 2000) g");
      }
      p.startServices();
      SyncResult synced =
          new SyncWaiter(p).await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
      assertThat(synced.synced()).isTrue();
      Path key = p.workDir().resolve("admin.key");
      Files.writeString(key, p.convexAdminKey().reveal());
      Path pw = p.workDir().resolve("pg.password");
      Files.writeString(pw, SharedStack.postgres().password().reveal());
      List<String> base =
          List.of(
              "cutover",
              "--pg-url",
              p.jdbcUrl(),
              "--pg-user",
              SharedStack.postgres().user(),
              "--pg-password-file",
              pw.toString(),
              "--mapping",
              p.workDir().resolve("convex").resolve("pgconvex.mapping.json").toString(),
              "--convex-url",
              p.convexUrl(),
              "--convex-admin-key-file",
              key.toString(),
              "--endpoint",
              p.endpoint().url(),
              "--prefix",
              p.topics().prefix(),
              "--json");
      CliRun rehearsal = run(base, "--freeze", "none", "--verify", "full");
      assertThat(rehearsal.code).as(rehearsal.err).isZero();

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong rows = new AtomicLong();
      AtomicLong next = new AtomicLong(10_000_000);
      ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
      List<Future<?>> writers = new ArrayList<>();
      // a step writes a parent and a child and, every third step, edits a parent: 2.33 rows
      long stepNanos = (long) (1e9 * CONNECTIONS * 2.33 / ROWS_PER_SECOND);
      for (int i = 0; i < CONNECTIONS; i++) {
        writers.add(
            pool.submit(
                () -> {
                  try (Connection c = p.connect();
                      PreparedStatement parent =
                          c.prepareStatement("INSERT INTO parents VALUES (?, 'w')");
                      PreparedStatement child =
                          c.prepareStatement("INSERT INTO children VALUES (?, ?, 'w')");
                      PreparedStatement edit =
                          c.prepareStatement("UPDATE parents SET name = 'e' WHERE id = ?")) {
                    long pace = System.nanoTime();
                    while (running.get()) {
                      long id = next.incrementAndGet();
                      parent.setLong(1, id);
                      parent.executeUpdate();
                      child.setLong(1, id);
                      child.setLong(2, id);
                      child.executeUpdate();
                      rows.addAndGet(2);
                      if (id % 3 == 0) {
                        edit.setLong(1, id - 1);
                        edit.executeUpdate();
                        rows.incrementAndGet();
                      }
                      pace += stepNanos;
                      long wait = pace - System.nanoTime();
                      if (wait > 0) {
                        LockSupport.parkNanos(wait);
                      }
                    }
                  }
                  return null;
                }));
      }
      List<long[]> results = new ArrayList<>();
      long t0 = System.nanoTime();
      long rows0 = rows.get();
      try {
        BackgroundLoad.letRun(Duration.ofSeconds(3));
        for (int i = 0; i < CUTOVERS; i++) {
          CliRun r = run(base, "--freeze", "lock", "--verify", "changed", "--max-pause-s", "20");
          JsonNode j = Json.parse(r.out);
          assertThat(j.get("result").asText()).as(r.out + r.err).isEqualTo("switched");
          long drain = 0;
          long verify = 0;
          for (JsonNode s : j.get("steps")) {
            if (s.get("name").asText().equals("drain")) {
              drain = s.get("ms").asLong();
            }
            if (s.get("name").asText().equals("verify")) {
              verify = s.get("ms").asLong();
            }
          }
          JsonNode h = j.get("hops");
          results.add(
              new long[] {
                j.get("pauseMs").asLong(),
                drain,
                verify,
                j.get("markerRounds").asLong(),
                h.get("sourceMs").asLong(),
                h.get("transformerMs").asLong(),
                h.get("sinkMs").asLong()
              });
          BackgroundLoad.letRun(Duration.ofSeconds(2));
        }
      } finally {
        running.set(false);
        for (Future<?> w : writers) {
          w.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
      }
      double rate = (rows.get() - rows0) / ((System.nanoTime() - t0) / 1e9);
      StringBuilder out = new StringBuilder();
      out.append(
          String.format(
              Locale.ROOT,
              "cutover bench: %d cutovers, --freeze lock --verify changed, load %.0f rows/s from %d"
                  + " connections%n  #  pause ms  drain ms  verify ms  rounds  source ms  transformer"
                  + " ms  sink ms%n",
              CUTOVERS,
              rate,
              CONNECTIONS));
      for (int i = 0; i < results.size(); i++) {
        long[] x = results.get(i);
        out.append(
            String.format(
                Locale.ROOT,
                "  %d  %8d  %8d  %9d  %6d  %9d  %14d  %7d%n",
                i + 1,
                x[0],
                x[1],
                x[2],
                x[3],
                x[4],
                x[5],
                x[6]));
      }
      long[] pauses = results.stream().mapToLong(x -> x[0]).sorted().toArray();
      out.append(
          String.format(
              Locale.ROOT,
              "  pause p50 %d ms, max %d ms%n",
              pauses[pauses.length / 2],
              pauses[pauses.length - 1]));
      System.out.println(out);
      SyncResult after =
          new SyncWaiter(p).await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
      assertThat(after.synced()).as(after.toJson().toString()).isTrue();
    }
  }

  private static CliRun run(List<String> base, String... extra) {
    List<String> a = new ArrayList<>(base);
    a.addAll(List.of(extra));
    return CliRun.of(a.toArray(String[]::new));
  }
}
