package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.cutover.barrier.Barrier;
import dev.pgconvex.cutover.barrier.Marker;
import dev.pgconvex.cutover.barrier.MarkerEmitter;
import dev.pgconvex.cutover.barrier.MarkerProgress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The three services in one JVM on the shared servers: inserts, updates and deletes, and ids in
 * references.
 */
@Timeout(240)
class PipelineIT {
  @Test
  void changesFlowAndForeignKeysHoldTheRightConvexIds() throws Exception {
    try (Pipeline p =
            new Pipeline(
                ItSupport.sharedSettings("pipeline", DemoDatabase.TABLES, DemoDatabase.RELATIONS));
        Connection db = connect(p)) {
      DemoDatabase demo = new DemoDatabase(db, 1);
      demo.createSchema();
      demo.load(200);
      p.startServices();
      demo.load(200); // children committed before their parents, while streaming
      SyncResult first =
          new SyncWaiter(p).await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
      assertThat(first.synced()).as(first.toJson().toString()).isTrue();

      // Every stage reports a typed status; a synced pipeline is ready.
      JsonNode stages = Json.parse(http(p, "/status")).get("stages");
      assertThat(stages.get("source").get("state").asText()).isEqualTo("RUNNING");
      assertThat(stages.get("source").get("ackedCommitLsn").asLong()).isPositive();
      assertThat(stages.get("source").get("snapshotFinished").asBoolean()).isTrue();
      assertThat(stages.get("source").get("snapshotRows").asLong()).isPositive();
      assertThat(stages.get("transformer").get("streamsState").asText()).isEqualTo("RUNNING");
      assertThat(stages.get("transformer").get("pendingRows").asLong()).isZero();
      assertThat(stages.get("sink").get("state").asText()).isEqualTo("RUNNING");
      assertThat(stages.get("sink").get("assignedPartitions").asInt()).isEqualTo(4);
      assertThat(stages.get("sink").get("lastAppliedCommitTs").asLong()).isPositive();
      assertThat(http(p, "/health/ready")).contains("\"status\":\"READY\"");
      Pipeline.Progress progress = p.progress();
      assertThat(progress.captured())
          .isGreaterThanOrEqualTo(stages.get("source").get("snapshotRows").asLong());
      assertThat(progress.applied()).isPositive();

      // ./cdc status: by endpoint, and found through the work dir's discovery file.
      CliRun status = CliRun.of("status", "--endpoint", p.endpoint().url(), "--json");
      JsonNode chain = Json.parse(status.out);
      assertThat(chain.get("stages").size()).as(status.out).isEqualTo(3);
      assertThat(chain.get("verdict").asText()).isIn("caught up", "lagging");
      assertThat(chain.get("endToEndLagMs").isNumber()).as(status.out).isTrue();
      CliRun local = CliRun.of("status", "--work-dir", p.workDir().toString());
      assertThat(local.out).contains("verdict: ").contains("source").contains("sink");
      CliRun nowhere = CliRun.of("status", "--endpoint", "http://127.0.0.1:1");
      assertThat(nowhere.code).isEqualTo(1);
      assertThat(nowhere.out).contains("verdict: failing").doesNotContain("Exception");
      CliRun none = CliRun.of("status", "--work-dir", "target/it/no-such-pipeline");
      assertThat(none.code).isEqualTo(2);
      assertThat(none.err).contains("no running pipeline found");

      // Independently of the verifier: each thread's userId is the _id of the user with its
      // user_id.
      Map<String, String> userIds = keyToId(p, "users");
      Map<String, JsonNode> threads = docs(p, "threads");
      try (Statement st = db.createStatement();
          ResultSet rs = st.executeQuery("SELECT id, user_id FROM threads")) {
        int n = 0;
        while (rs.next()) {
          JsonNode thread = threads.get("[" + rs.getInt(1) + "]");
          assertThat(thread).isNotNull();
          assertThat(thread.get("userId").asText())
              .isEqualTo(userIds.get("[" + rs.getInt(2) + "]"));
          n++;
        }
        assertThat(n).isEqualTo(threads.size()).isPositive();
      }

      // An update and a delete in Postgres show in Convex.
      try (Statement st = db.createStatement()) {
        st.executeUpdate("UPDATE messages SET content = 'changed', total_tokens = 7 WHERE id = 3");
        st.executeUpdate("DELETE FROM messages WHERE id = 4");
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                Map<String, JsonNode> messages = docs(p, "messages");
                assertThat(messages.get("[3]").get("content").asText()).isEqualTo("changed");
                assertThat(messages.get("[3]").get("totalTokens").asInt()).isEqualTo(7);
                assertThat(messages).doesNotContainKey("[4]");
              });
      SyncResult second =
          new SyncWaiter(p).await(Duration.ofSeconds(60), System.nanoTime(), p.currentWalLsn());
      assertThat(second.synced()).as(second.toJson().toString()).isTrue();

      // A barrier marker: once confirmed on every ops partition with nothing held, every row
      // committed before it is in Convex, without waiting for the pipeline to look caught up.
      demo.load(150); // children before parents again, so the first marker may find rows held
      Barrier barrier = new Barrier(p.convex(), 4);
      MarkerProgress drained = null;
      for (int round = 1; round <= 10 && drained == null; round++) {
        Marker m = MarkerEmitter.emit(db, p.topics().prefix(), "pipeline-it/" + round);
        MarkerProgress reached =
            barrier.await(m, Duration.ofSeconds(60), Duration.ofMillis(50), () -> false);
        assertThat(reached.complete()).as("marker %s reached every partition", m.id()).isTrue();
        assertThat(reached.confirmed().values())
            .allSatisfy(c -> assertThat(c.appliedAtMs()).isGreaterThanOrEqualTo(c.sourceAtMs()));
        drained = reached.drained() ? reached : null;
      }
      assertThat(drained).as("a marker found nothing held within 10 rounds").isNotNull();
      for (String table : new String[] {"users", "threads", "messages"}) {
        Map<String, JsonNode> inConvex = docs(p, table);
        try (Statement st = db.createStatement();
            ResultSet rs = st.executeQuery("SELECT id FROM " + table)) {
          while (rs.next()) {
            assertThat(inConvex).as(table).containsKey("[" + rs.getInt(1) + "]");
          }
        }
      }

      // An orphan: a thread whose user never arrives is held, counted and listed by ./cdc pending.
      try (Statement st = db.createStatement()) {
        st.executeUpdate(
            "INSERT INTO threads (id, user_id, clerk_user_id) VALUES (900001, 777777, 'ghost')");
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> p.progress().pendingRows() == 1);
      // A marker passes a held row but says so: the barrier is not drained.
      Marker held = MarkerEmitter.emit(db, p.topics().prefix(), "pipeline-it/held");
      MarkerProgress withHeld =
          barrier.await(held, Duration.ofSeconds(60), Duration.ofMillis(50), () -> false);
      assertThat(withHeld.complete()).isTrue();
      assertThat(withHeld.drained()).isFalse();
      assertThat(withHeld.held()).isPositive();
      CliRun pending = CliRun.of("pending", "--endpoint", p.endpoint().url(), "--json");
      assertThat(pending.code).as(pending.err).isZero();
      JsonNode listing = Json.parse(pending.out);
      assertThat(listing.get("pendingRows").asLong()).isEqualTo(1);
      assertThat(listing.get("rows").toString())
          .contains("[900001]")
          .contains("users")
          .contains("[777777]");
      assertThat(CliRun.of("pending", "--endpoint", p.endpoint().url()).out).contains("[777777]");

      // Schema drift: a renamed column holds the table's changes in order (no dead letter per
      // row) and says so; the other tables flow on.
      long deadBefore =
          Json.parse(http(p, "/status"))
              .get("stages")
              .get("transformer")
              .get("deadLetters")
              .asLong();
      try (Statement st = db.createStatement()) {
        st.execute("ALTER TABLE messages RENAME COLUMN model_id TO model");
        st.executeUpdate("UPDATE messages SET content = 'after rename' WHERE id = 5");
        st.executeUpdate("UPDATE messages SET content = 'after rename' WHERE id = 6");
        st.executeUpdate(
            "INSERT INTO users (id, clerk_user_id, email) VALUES (900002, 'late', 'late@x')");
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                JsonNode t = Json.parse(http(p, "/status")).get("stages").get("transformer");
                assertThat(t.get("heldTables")).hasSize(1);
                assertThat(t.get("heldTables").get(0).get("table").asText())
                    .isEqualTo("public.messages");
                assertThat(t.get("heldTables").get(0).get("changes").asLong()).isEqualTo(2);
                assertThat(t.get("heldTables").get(0).get("reason").asText())
                    .contains("`model_id` gone and `model` added: renamed?");
                assertThat(docs(p, "users")).containsKey("[900002]");
              });
      assertThat(
              Json.parse(http(p, "/status"))
                  .get("stages")
                  .get("transformer")
                  .get("deadLetters")
                  .asLong())
          .isEqualTo(deadBefore);
      assertThat(docs(p, "messages").get("[5]").get("content").asText())
          .isNotEqualTo("after rename");
      assertThat(CliRun.of("status", "--endpoint", p.endpoint().url()).out)
          .contains("HELD public.messages: 2 changes since");
      assertThat(CliRun.of("pending", "--endpoint", p.endpoint().url()).out)
          .contains("HELD public.messages: 2 changes held for schema drift since");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(p.alerts().firing())
                      .anySatisfy(
                          a -> {
                            assertThat(a.alert()).isEqualTo("SchemaDriftHeld");
                            assertThat(a.reason()).contains("public.messages", "2 held");
                          }));
    }
  }

  static String http(Pipeline p, String path) throws Exception {
    return java.net.http.HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(p.endpoint().url() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .body();
  }

  static Connection connect(Pipeline p) throws Exception {
    p.startInfrastructure();
    return p.connect();
  }

  static Map<String, JsonNode> docs(Pipeline p, String table) throws Exception {
    Map<String, JsonNode> out = new HashMap<>();
    page(p, table, (key, entry) -> out.put(key, entry.get("doc")));
    return out;
  }

  static Map<String, String> keyToId(Pipeline p, String table) throws Exception {
    Map<String, String> out = new HashMap<>();
    page(p, table, (key, entry) -> out.put(key, entry.get("id").asText()));
    return out;
  }

  private static void page(
      Pipeline p, String table, java.util.function.BiConsumer<String, JsonNode> each)
      throws Exception {
    String cursor = null;
    do {
      ObjectNode args = Json.NODES.objectNode().put("table", table).put("limit", 1000);
      if (cursor != null) {
        args.put("cursor", cursor);
      }
      JsonNode page = p.convex().query("cdc/ingest:docPage", args);
      page.get("page").forEach(e -> each.accept(e.get("key").asText(), e));
      cursor = page.get("isDone").asBoolean() ? null : page.get("continueCursor").asText();
    } while (cursor != null);
  }
}
