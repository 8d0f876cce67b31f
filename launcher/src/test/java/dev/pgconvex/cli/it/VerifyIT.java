package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.stack.testing.SharedStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./cdc verify} against a running pipeline on the demo tables: an equal mirror, then each
 * kind of divergence alone (made by hand in Convex or in Postgres behind the pipeline's back),
 * found, classified and named by table and key, repaired with {@code --repair}, and clean again; a
 * verify during a steady write load; and bad input, each with one clear line and exit 2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class VerifyIT {
  /** A Convex module standing in for a person editing documents in the dashboard. */
  static final String HAND_EDITS =
      """
      import { v } from "convex/values";
      import { internalMutation } from "./_generated/server";
      export const patchDoc = internalMutation({
        args: { id: v.string(), fields: v.any() },
        handler: async (ctx, { id, fields }) => { await ctx.db.patch(id as any, fields); },
      });
      export const insertDoc = internalMutation({
        args: { table: v.string(), fields: v.any() },
        handler: async (ctx, { table, fields }) => await ctx.db.insert(table as any, fields),
      });
      export const deleteDoc = internalMutation({
        args: { id: v.string() },
        handler: async (ctx, { id }) => { await ctx.db.delete(id as any); },
      });
      """;

  /**
   * Inserts a user document straight into Convex ({@link #HAND_EDITS} deployed), as a person or the
   * application would; returns its id.
   */
  static JsonNode insertUserByHand(Pipeline p, String email) {
    return p.convex()
        .mutation(
            "handEdits:insertDoc",
            Map.of(
                "table",
                "users",
                "fields",
                Map.of("clerkUserId", "by-hand", "email", email, "credits", 0)));
  }

  private Pipeline p;
  private Connection db;
  private DemoDatabase demo;
  private Path keyFile;
  private Path pwFile;
  private String adminKey;

  @BeforeAll
  void start() throws Exception {
    PipelineSettings settings =
        ItSupport.sharedSettings("verify", DemoDatabase.TABLES, DemoDatabase.RELATIONS);
    p = new Pipeline(settings);
    p.startInfrastructure();
    Path functions = p.workDir().resolve("convex");
    Files.createDirectories(functions);
    Files.writeString(functions.resolve("handEdits.ts"), HAND_EDITS);
    db = p.connect();
    demo = new DemoDatabase(db, 31);
    demo.createSchema();
    demo.load(600);
    p.startServices();
    SyncResult r =
        new SyncWaiter(p).await(Duration.ofSeconds(150), System.nanoTime(), p.currentWalLsn());
    assertThat(r.synced()).as(r.toJson().toString()).isTrue();
    // The sweep after the snapshot deletes documents without rows: let it pass before making one.
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> p.snapshotSweeps() >= 1);
    adminKey = p.properties(Pipeline.Stage.SINK).get("convex.admin.key");
    keyFile = p.workDir().resolve("admin.key");
    Files.writeString(keyFile, adminKey);
    pwFile = p.workDir().resolve("pg.password");
    Files.writeString(pwFile, SharedStack.postgres().password().reveal());
  }

  @AfterAll
  void stop() throws Exception {
    if (db != null) {
      db.close();
    }
    if (p != null) {
      p.close();
    }
  }

  @Test
  @Order(1)
  void anEqualMirrorExitsZero() {
    CliRun r = verify("--json");
    assertThat(r.code).as(r.out + r.err).isZero();
    JsonNode j = Json.parse(r.out);
    assertThat(j.get("equal").asBoolean()).isTrue();
    for (String t : List.of("users", "threads", "messages")) {
      JsonNode tj = j.get("tables").get(t);
      assertThat(tj.get("pgRows").asLong()).as(t).isPositive();
      assertThat(tj.get("convexDocs").asLong()).as(t).isEqualTo(tj.get("pgRows").asLong());
      assertThat(tj.get("chunks").asLong()).as(t).isPositive();
      assertThat(tj.get("mismatchedChunks").asLong()).as(t).isZero();
      for (String list : List.of("missing", "extra", "different", "wrongRef", "unkeyed")) {
        assertThat(tj.get(list)).as(t + " " + list).isEmpty();
      }
    }
    // small chunks: many chunks, same verdict
    CliRun small = verify("--json", "--chunk-rows", "7", "--parallel", "3");
    assertThat(small.code).as(small.out + small.err).isZero();
    assertThat(Json.parse(small.out).at("/tables/messages/chunks").asLong()).isGreaterThan(10);
    CliRun human = verify();
    assertThat(human.code).isZero();
    assertThat(human.out).contains("messages").contains("verdict: equal");
  }

  @Test
  @Order(3)
  void aDocumentEditedByHandIsDifferentAndRepaired() throws Exception {
    String id = docId("users", "[3]");
    handEdit("handEdits:patchDoc", Map.of("id", id, "fields", Map.of("email", "edited@by.hand")));
    JsonNode t = expectOnly("users", "different");
    assertThat(t.get("different").get(0).get("key").asText()).isEqualTo("[3]");
    assertThat(t.get("different").get(0).get("field").asText()).isEqualTo("email");
    assertThat(t.get("different").get(0).get("actual").asText()).contains("edited@by.hand");
    repairAndExpectClean();
  }

  @Test
  @Order(4)
  void aDocumentDeletedByHandIsMissingAndRepaired() throws Exception {
    handEdit("handEdits:deleteDoc", Map.of("id", docId("messages", "[5]")));
    JsonNode t = expectOnly("messages", "missing");
    assertThat(t.get("missing").get(0).get("key").asText()).isEqualTo("[5]");
    repairAndExpectClean();
  }

  @Test
  @Order(2) // before any resync: the sweep after a resync's snapshot would delete it first
  void anExtraDocumentIsFoundAndDeleted() throws Exception {
    var ops =
        List.of(
            Map.of(
                "table",
                "users",
                "key",
                "[987654]",
                "op",
                "upsert",
                "position",
                "0000000000000001:00000000",
                "doc",
                Map.of("clerkUserId", "ghost", "email", "ghost@x", "credits", 0)));
    p.convex().mutation("cdc/ingest:applyBatch", Map.of("ops", ops));
    JsonNode t = expectOnly("users", "extra");
    assertThat(t.get("extra").get(0).get("key").asText()).isEqualTo("[987654]");
    assertThat(t.get("extra").get(0).get("id").asText()).isNotBlank();
    repairAndExpectClean();
  }

  @Test
  @Order(2) // a document the pipeline did not write: no key row points at it
  void aDocumentInsertedByHandIsUnkeyedAndDeleted() throws Exception {
    JsonNode inserted = insertUserByHand(p, "rogue@by.hand");
    JsonNode t = expectOnly("users", "unkeyed");
    JsonNode f = t.get("unkeyed").get(0);
    assertThat(f.get("id").asText()).isEqualTo(inserted.asText());
    assertThat(f.get("key").isNull()).isTrue();
    assertThat(f.get("doc").asText()).contains("rogue@by.hand");
    repairAndExpectClean();
  }

  @Test
  @Order(5)
  void aWrongForeignIdIsFoundAndRepaired() throws Exception {
    long thread;
    long other;
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT thread_id FROM messages WHERE id = 7")) {
      rs.next();
      thread = rs.getLong(1);
    }
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT min(id) FROM threads WHERE id <> " + thread)) {
      rs.next();
      other = rs.getLong(1);
    }
    handEdit(
        "handEdits:patchDoc",
        Map.of(
            "id",
            docId("messages", "[7]"),
            "fields",
            Map.of("threadId", docId("threads", "[" + other + "]"))));
    JsonNode t = expectOnly("messages", "wrongRef");
    JsonNode f = t.get("wrongRef").get(0);
    assertThat(f.get("key").asText()).isEqualTo("[7]");
    assertThat(f.get("field").asText()).isEqualTo("threadId");
    assertThat(f.get("expectedParentKey").asText()).isEqualTo("[" + thread + "]");
    repairAndExpectClean();
  }

  @Test
  @Order(6)
  void rowsChangedWhileThePipelineIsStoppedAreFound() throws Exception {
    // The sink cannot write to Convex: the pipeline stands still (and its checkpoint with it).
    faults(Map.of("fault503", 1.0, "faultRoutes", List.of("/api/mutation")));
    long newUser;
    try {
      try (Statement st = db.createStatement()) {
        st.executeUpdate("UPDATE users SET email = 'changed@while.stopped' WHERE id = 4");
        try (ResultSet rs =
            st.executeQuery(
                "INSERT INTO users (id, clerk_user_id, email) VALUES (500000, 'late', 'late@x')"
                    + " RETURNING id")) {
          rs.next();
          newUser = rs.getLong(1);
        }
      }
      CliRun r = verify("--json", "--settle-timeout-s", "3");
      assertThat(r.code).as(r.out + r.err).isEqualTo(1);
      JsonNode j = Json.parse(r.out);
      JsonNode users = j.at("/tables/users");
      assertThat(users.get("different")).hasSize(1);
      assertThat(users.get("different").get(0).get("key").asText()).isEqualTo("[4]");
      assertThat(users.get("different").get(0).get("field").asText()).isEqualTo("email");
      assertThat(users.get("missing")).hasSize(1);
      assertThat(users.get("missing").get(0).get("key").asText()).isEqualTo("[" + newUser + "]");
      assertThat(users.get("extra")).isEmpty();
      assertThat(users.get("wrongRef")).isEmpty();
      assertThat(j.get("warnings").toString()).contains("did not apply");
    } finally {
      faults(Map.of("fault503", 0.0));
    }
    // Running again, the pipeline catches up by itself; --repair re-syncs whatever still differs.
    CliRun fixed = verify("--json", "--repair");
    assertThat(fixed.code).as(fixed.out + fixed.err).isZero();
    assertThat(verify("--json").code).isZero();
  }

  @Test
  @Order(7)
  void aVerifyDuringASteadyWriteLoadReportsNoFalseMismatch() throws Exception {
    try (Connection writer = p.connect()) {
      DemoDatabase live = new DemoDatabase(writer, 32);
      live.adopt(demo);
      // the demo's light load (an insert, an edit, now and then a delete per step) at 20 steps a
      // second, which the pipeline keeps up with even on a busy machine; a load it cannot keep up
      // with is lag, not a false mismatch
      try (BackgroundLoad load = new BackgroundLoad(live, 0, Duration.ofMillis(50))) {
        BackgroundLoad.letRun(Duration.ofSeconds(1));
        for (int i = 0; i < 2; i++) {
          CliRun r = verify("--json", "--chunk-rows", "100");
          JsonNode j = Json.parse(r.out);
          assertThat(j.get("equal").asBoolean()).as(r.out + r.err).isTrue();
          assertThat(r.code).isZero();
        }
      }
    }
  }

  @Test
  @Order(8)
  void badInputIsOneClearLineAndExitTwo() throws Exception {
    try (Statement st = db.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS no_pk (a int, b text)");
    }
    String url = p.jdbcUrl();
    List<String> base =
        List.of(
            "verify",
            "--pg-url",
            url,
            "--pg-user",
            SharedStack.postgres().user(),
            "--pg-password-file",
            pwFile.toString());
    Path wrongKey = p.workDir().resolve("wrong.key");
    Files.writeString(wrongKey, "not-the-admin-key");
    Map<String, List<String>> cases =
        Map.of(
            "unknown table",
            List.of(
                "--tables",
                "public.no_such_table",
                "--convex-url",
                p.convexUrl(),
                "--convex-admin-key-file",
                keyFile.toString()),
            "wrong admin key",
            List.of(
                "--tables",
                "public.users",
                "--convex-url",
                p.convexUrl(),
                "--convex-admin-key-file",
                wrongKey.toString()),
            "unreachable Convex",
            List.of(
                "--tables",
                "public.users",
                "--convex-url",
                "http://127.0.0.1:1",
                "--convex-admin-key-file",
                keyFile.toString()),
            "table without primary key",
            List.of(
                "--tables",
                "public.no_pk",
                "--convex-url",
                p.convexUrl(),
                "--convex-admin-key-file",
                keyFile.toString()));
    Map<String, String> expected =
        Map.of(
            "unknown table", "no_such_table",
            "wrong admin key", "admin key",
            "unreachable Convex", "cannot reach Convex",
            "table without primary key", "primary key");
    for (var c : cases.entrySet()) {
      List<String> args = new ArrayList<>(base);
      args.addAll(c.getValue());
      CliRun r = CliRun.of(args.toArray(String[]::new));
      assertThat(r.code).as(c.getKey() + ": " + r.out + r.err).isEqualTo(2);
      List<String> lines = r.err.lines().filter(l -> !l.isBlank()).toList();
      assertThat(lines).as(c.getKey() + ": " + r.err).hasSize(1);
      assertThat(lines.get(0))
          .as(c.getKey())
          .startsWith("cannot verify: ")
          .contains(expected.get(c.getKey()))
          .doesNotContain(adminKey)
          .doesNotContain("Exception");
    }
  }

  // ---------------------------------------------------------------------------------------------

  private CliRun verify(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "verify",
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
                keyFile.toString()));
    if (!List.of(extra).contains("--settle-timeout-s")) {
      args.addAll(List.of("--settle-timeout-s", "20"));
    }
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(String[]::new));
  }

  /** Verifies and expects exactly one difference, of {@code kind}, in {@code table}. */
  private JsonNode expectOnly(String table, String kind) {
    CliRun r = verify("--json");
    assertThat(r.code).as(r.out + r.err).isEqualTo(1);
    JsonNode j = Json.parse(r.out);
    assertThat(j.get("equal").asBoolean()).isFalse();
    j.get("tables")
        .fields()
        .forEachRemaining(
            e -> {
              for (String list : List.of("missing", "extra", "different", "wrongRef", "unkeyed")) {
                int n = e.getKey().equals(table) && list.equals(kind) ? 1 : 0;
                assertThat(e.getValue().get(list))
                    .as(e.getKey() + " " + list + ": " + r.out)
                    .hasSize(n);
              }
            });
    JsonNode t = j.get("tables").get(table);
    // an unkeyed document is found by the walk of the table, not by a chunk of keys
    assertThat(t.get("mismatchedChunks").asLong()).isEqualTo(kind.equals("unkeyed") ? 0 : 1);
    // the human report names table and key too
    CliRun human = verify();
    System.out.println("./cdc verify, " + table + " " + kind + ":\n" + human.out);
    String key = kind.equals("unkeyed") ? "(no key)" : t.get(kind).get(0).get("key").asText();
    assertThat(human.out).contains(table + " " + key + ": ").contains("verdict: DIFFERENT");
    return t;
  }

  private void repairAndExpectClean() {
    CliRun r = verify("--json", "--repair");
    assertThat(r.code).as(r.out + r.err).isZero();
    assertThat(Json.parse(r.out).at("/repair/fixed").asBoolean()).as(r.out).isTrue();
    CliRun again = verify("--json");
    assertThat(again.code).as(again.out + again.err).isZero();
  }

  private String docId(String table, String key) {
    JsonNode e =
        p.convex()
            .query("cdc/verify:keyDocs", Map.of("table", table, "keys", List.of(key)))
            .get("entries")
            .get(0);
    assertThat(e.get("id").isNull()).as(table + " " + key).isFalse();
    return e.get("id").asText();
  }

  private void handEdit(String path, Map<String, Object> args) {
    p.convex().mutation(path, args);
  }

  private void faults(Map<String, Object> settings) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(p.convexUrl() + "/_emulator/faults"))
            .header("Authorization", "Convex " + adminKey)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Json.write(settings)))
            .build();
    HttpResponse<String> res =
        HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
  }
}
