package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.stack.testing.SharedStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Postgres DDL followed in Convex while the mirror runs, on real servers under a steady write load:
 * a rename (the README's worked example), then a drop, a retype and an add in one migration. At
 * each: the table is held (no dead letter), {@code ./cdc schema evolve widen|backfill|narrow
 * --deploy} run with the official CLI ({@code npx convex deploy}) against the emulator, which
 * validates the documents against each step's schema, and {@code ./cdc verify} proves the mirror
 * equal to Postgres by content under the step's mapping, references included.
 */
@Timeout(600)
class SchemaEvolutionIT {
  private static final List<String> TABLES = List.of("public.users", "public.notes");

  /** The write load: inserts, updates and deletes of both tables, in the shape of the phase. */
  private static final class Load implements AutoCloseable {
    final AtomicInteger phase = new AtomicInteger();
    final AtomicBoolean paused = new AtomicBoolean();
    final AtomicLong writes = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    Load(Pipeline p) {
      thread =
          new Thread(
              () -> {
                Random r = new Random(7);
                try (Connection c = p.connect();
                    Statement st = c.createStatement()) {
                  int n = 0;
                  while (!stop.get()) {
                    if (paused.get()) {
                      Thread.onSpinWait();
                      Thread.yield();
                      continue;
                    }
                    n++;
                    int id = 1 + r.nextInt(200);
                    try {
                      for (String sql : statements(phase.get(), n, id, r)) {
                        st.executeUpdate(sql);
                      }
                      writes.incrementAndGet();
                    } catch (SQLException e) {
                      failed.incrementAndGet(); // the instant of a DDL: rolled back, nothing lost
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
                  }
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              },
              "evolve-load");
      thread.setDaemon(true);
      thread.start();
    }

    static List<String> statements(int phase, int n, int id, Random r) {
      List<String> out = new ArrayList<>();
      String name = phase == 0 ? "name" : "full_name";
      switch (phase) {
        case 0, 1 -> {
          out.add("UPDATE users SET score = score + 1, email = 'e" + n + "@x' WHERE id = " + id);
          if (n % 5 == 0) {
            out.add(
                "INSERT INTO users ("
                    + name
                    + ", email, score) VALUES ('u"
                    + n
                    + "', NULL, "
                    + n
                    + ")");
          }
          if (n % 3 == 0) {
            out.add("UPDATE users SET " + name + " = 'n" + n + "' WHERE id = " + id);
          }
        }
        default -> {
          out.add(
              "UPDATE users SET score = 'level " + n + "', age = " + n % 90 + " WHERE id = " + id);
          if (n % 5 == 0) {
            out.add("INSERT INTO users (full_name, score) VALUES ('u" + n + "', 'new')");
          }
        }
      }
      out.add("UPDATE notes SET body = 'b" + n + "' WHERE id = " + (1 + r.nextInt(200)));
      if (n % 4 == 0) {
        out.add("INSERT INTO notes (user_id, body) VALUES (" + id + ", 'late " + n + "')");
      }
      if (n % 7 == 0) {
        out.add("DELETE FROM notes WHERE id = (SELECT max(id) FROM notes)");
      }
      return out;
    }

    void pause() {
      paused.set(true);
    }

    void resume() {
      paused.set(false);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(10_000);
    }
  }

  @Test
  void aRenameThenADropARetypeAndAnAddAreFollowedByWidenBackfillNarrow() throws Exception {
    try (Pipeline p = new Pipeline(ItSupport.sharedSettings("evolve", TABLES, List.of()))) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute(
            "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text,"
                + " score int NOT NULL)");
        st.execute(
            "CREATE TABLE notes (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users,"
                + " body text)");
        st.execute(
            "INSERT INTO users (name, email, score) SELECT 'user ' || g, 'u' || g || '@x', g"
                + " FROM generate_series(1, 200) g");
        st.execute(
            "INSERT INTO notes (user_id, body) SELECT 1 + g % 200, 'note ' || g"
                + " FROM generate_series(1, 200) g");
      }
      p.startServices();
      awaitSynced(p);

      Path keyFile = p.workDir().resolve("admin.key");
      Files.writeString(keyFile, p.convexAdminKey().reveal());
      Path pwFile = p.workDir().resolve("pg.password");
      Files.writeString(pwFile, SharedStack.postgres().password().reveal());
      Path functions = p.workDir().toAbsolutePath().resolve("convex");
      String prefix = p.topics().prefix();
      List<String> common =
          List.of(
              "--pg-url",
              p.jdbcUrl(),
              "--pg-user",
              SharedStack.postgres().user(),
              "--pg-password-file",
              pwFile.toString(),
              "--convex-url",
              p.convexUrl(),
              "--convex-admin-key-file",
              keyFile.toString(),
              "--functions",
              functions.toString(),
              "--pipeline",
              prefix,
              "--deploy",
              "--timeout-s",
              "180");

      try (Load load = new Load(p)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> load.writes.get() > 20);

        // 1. RENAME COLUMN: held, then widened, backfilled, narrowed.
        try (Connection db = p.connect();
            Statement st = db.createStatement()) {
          st.execute("ALTER TABLE users RENAME COLUMN name TO full_name");
        }
        load.phase.set(1);
        awaitHeld(p, "`name` gone and `full_name` added: renamed?");
        long t0 = System.nanoTime();
        CliRun widen = evolve("widen", common);
        long widenMs = ms(t0);
        assertThat(widen.code).as(widen.err + widen.out).isZero();
        assertThat(widen.out)
            .contains("public.users: `name` gone and `full_name` added: renamed (it sits where")
            .contains("Deployed with npx convex deploy");
        awaitNotHeld(p);
        assertThat(Files.readString(functions.resolve("schema.ts")))
            .contains("fullName: v.optional(v.string())")
            .contains("name: v.optional(v.string()), // retired column name");

        t0 = System.nanoTime();
        CliRun backfill = evolve("backfill", common);
        long backfillMs = ms(t0);
        assertThat(backfill.code).as(backfill.err + backfill.out).isZero();
        assertThat(backfill.out).contains("Backfill verified");
        mirrorEquals(p, load, functions, pwFile, keyFile);

        t0 = System.nanoTime();
        CliRun narrow = evolve("narrow", common);
        long narrowMs = ms(t0);
        assertThat(narrow.code).as(narrow.err + narrow.out).isZero();
        assertThat(Files.readString(functions.resolve("schema.ts")))
            .contains("fullName: v.string(),")
            .doesNotContain("name: v.optional");
        mirrorEquals(p, load, functions, pwFile, keyFile);
        assertThat(docs(p).get("[1]").has("name")).isFalse();
        System.out.printf(
            "rename followed: widen %d ms, backfill %d ms, narrow %d ms%n",
            widenMs, backfillMs, narrowMs);

        CliRun status = evolve("status", common);
        assertThat(status.code).as(status.err).isZero();
        assertThat(status.out)
            .contains("narrow", "completed")
            .contains("The catalog matches the running mapping.");
        CliRun chain = CliRun.of("status", "--endpoint", p.endpoint().url());
        assertThat(chain.out)
            .contains("migration")
            .contains("widen completed, backfill completed, narrow completed")
            .contains("`name` gone and `full_name` added: renamed");

        // 2. DROP, retype and ADD in one migration.
        try (Connection db = p.connect();
            Statement st = db.createStatement()) {
          load.pause();
          st.execute("ALTER TABLE users DROP COLUMN email");
          st.execute("ALTER TABLE users ALTER COLUMN score TYPE text USING 'level ' || score");
          st.execute("ALTER TABLE users ADD COLUMN age int");
          load.phase.set(2);
          load.resume();
        }
        awaitHeld(p, "public.users");
        CliRun widen2 = evolve("widen", common);
        assertThat(widen2.code).as(widen2.err + widen2.out).isZero();
        assertThat(widen2.out)
            .contains("`email` gone")
            .contains("`score` retyped from integer to text")
            .contains("`age` added (integer)");
        awaitNotHeld(p);
        assertThat(Files.readString(functions.resolve("schema.ts")))
            .contains("score: v.optional(v.union(v.string(), v.number()))");
        CliRun backfill2 = evolve("backfill", common);
        assertThat(backfill2.code).as(backfill2.err + backfill2.out).isZero();
        mirrorEquals(p, load, functions, pwFile, keyFile);
        CliRun narrow2 = evolve("narrow", common);
        assertThat(narrow2.code).as(narrow2.err + narrow2.out).isZero();
        assertThat(Files.readString(functions.resolve("schema.ts")))
            .contains("score: v.string(),")
            .doesNotContain("email");
        mirrorEquals(p, load, functions, pwFile, keyFile);
        assertThat(docs(p).get("[1]").get("score").isTextual()).isTrue();
        assertThat(load.writes.get()).isGreaterThan(100);
      }
      JsonNode transformer =
          Json.parse(PipelineIT.http(p, "/status")).get("stages").get("transformer");
      assertThat(transformer.get("deadLetters").asLong()).isZero();
    }
  }

  private static CliRun evolve(String step, List<String> common) {
    List<String> args = new ArrayList<>(List.of("schema", "evolve", step));
    args.addAll(common);
    if (step.equals("status")) {
      args.remove("--deploy");
      args.remove("--timeout-s");
      args.remove("180");
    }
    return CliRun.of(args.toArray(String[]::new));
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static void awaitSynced(Pipeline p) throws Exception {
    SyncResult synced =
        new SyncWaiter(p).await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
    assertThat(synced.synced()).as(synced.toJson().toString()).isTrue();
  }

  private static void awaitHeld(Pipeline p, String reason) {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              JsonNode t =
                  Json.parse(PipelineIT.http(p, "/status")).get("stages").get("transformer");
              assertThat(t.get("heldTables")).hasSize(1);
              assertThat(t.get("heldTables").get(0).get("reason").asText()).contains(reason);
              assertThat(t.get("deadLetters").asLong()).isZero();
            });
  }

  private static void awaitNotHeld(Pipeline p) {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        Json.parse(PipelineIT.http(p, "/status"))
                            .get("stages")
                            .get("transformer")
                            .get("heldTables"))
                    .isEmpty());
  }

  // With the load paused and the pipeline caught up, ./cdc verify under the mapping in force.
  private static void mirrorEquals(Pipeline p, Load load, Path functions, Path pwFile, Path keyFile)
      throws Exception {
    load.pause();
    try {
      awaitSynced(p);
      Path mapping = functions.resolve("pgconvex.mapping.json");
      // the transformer re-reads its mapping file every transformer.mapping.reload.interval.ms
      await()
          .atMost(Duration.ofSeconds(15))
          .untilAsserted(() -> assertThat(p.mapping()).isEqualTo(Mapping.read(mapping)));
      CliRun verify =
          CliRun.of(
              "verify",
              "--pg-url",
              p.jdbcUrl(),
              "--pg-user",
              SharedStack.postgres().user(),
              "--pg-password-file",
              pwFile.toString(),
              "--convex-url",
              p.convexUrl(),
              "--convex-admin-key-file",
              keyFile.toString(),
              "--mapping",
              mapping.toString(),
              "--json");
      assertThat(verify.code).as(verify.out + verify.err).isZero();
      assertThat(Json.parse(verify.out).get("equal").asBoolean()).as(verify.out).isTrue();
    } finally {
      load.resume();
    }
  }

  private static java.util.Map<String, JsonNode> docs(Pipeline p) throws Exception {
    return PipelineIT.docs(p, "users");
  }
}
