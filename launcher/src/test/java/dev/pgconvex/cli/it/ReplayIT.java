package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.sink.ConvexSink;
import dev.pgconvex.sink.SinkConfig;
import dev.pgconvex.transformer.Transformer;
import dev.pgconvex.transformer.TransformerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./cdc replay} and {@code ./cdc dlq} on one pipeline (demo tables plus a {@code notes}
 * table for a poison row), the source in the pipeline and the transformer and sink run here so they
 * can be stopped and started between replays: refusal while a stage runs, a sink replay of a few
 * thousand inserts, updates, deletes and re-parented rows after later changes were applied (whole
 * and restricted to a table), a transformer replay from the earliest offsets with its state
 * rebuilt, a time before retention refused, bad input, and a dead letter fixed by a mapping change
 * and replayed. After each replay Convex equals Postgres by content.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(240)
class ReplayIT {
  private static final Duration SYNC = Duration.ofSeconds(90);

  private Pipeline p;
  private Connection db;
  private DemoDatabase demo;
  private Transformer transformer;
  private ConvexSink sink;
  private String prefix;

  @BeforeAll
  void start() throws Exception {
    List<String> tables =
        Stream.concat(DemoDatabase.TABLES.stream(), Stream.of("public.notes")).toList();
    PipelineSettings settings = ItSupport.sharedSettings("replay", tables, DemoDatabase.RELATIONS);
    prefix = settings.overrides().get("cdc.topic.prefix");
    p = new Pipeline(settings);
    p.startInfrastructure();
    db = p.connect();
    demo = new DemoDatabase(db, 41);
    demo.createSchema();
    try (Statement st = db.createStatement()) {
      st.execute("CREATE TABLE notes (id int PRIMARY KEY, counter bigint NOT NULL)");
    }
    demo.load(300);
    p.startServices(EnumSet.of(Stage.SOURCE));
    startTransformer(p.mapping());
    startSink();
    awaitSynced();
  }

  @AfterAll
  void stop() throws Exception {
    stopSink();
    stopTransformer();
    if (db != null) {
      db.close();
    }
    if (p != null) {
      p.close();
    }
  }

  @Test
  @Order(1)
  void refusedWhileTheStageRuns() {
    for (String stage : List.of("sink", "transformer")) {
      CliRun r = cdc("replay", "--stage", stage, "--to-earliest", "--execute");
      assertThat(r.code).as(r.out + r.err).isEqualTo(1);
      assertThat(r.err.strip().lines()).as(r.err).hasSize(1);
      assertThat(r.err)
          .contains("the " + stage + " is running")
          .contains("active member(s)")
          .contains("stop the " + stage)
          .contains("./cdc resync")
          .contains("nothing was changed");
    }
  }

  @Test
  @Order(2)
  void sinkReplayAfterLaterChangesConvergesToPostgres() throws Exception {
    Instant from = Instant.now();
    changes();
    awaitSynced();
    // later changes, applied before the replay re-reads the ones above
    try (Statement st = db.createStatement()) {
      st.executeUpdate("UPDATE messages SET content = content || ' (later)' WHERE id % 5 = 0");
      st.executeUpdate("DELETE FROM messages WHERE id % 11 = 0");
    }
    awaitSynced();
    stopSink();
    // a static member of a stopped sink stays in the group until its session times out
    leaveAStaticMemberBehind(prefix + "-sink");
    CliRun refused = cdc("replay", "--stage", "sink", "--to-datetime", from.toString());
    assertThat(refused.code).isEqualTo(1);
    assertThat(refused.err).contains("instance ghost-sink").contains("--force");

    CliRun dry = cdc("replay", "--stage", "sink", "--to-datetime", from.toString(), "--force");
    assertThat(dry.code).as(dry.out + dry.err).isZero();
    assertThat(dry.out)
        .contains("replay of the sink (group " + prefix + "-sink) --to-datetime " + from)
        .contains(prefix + ".ops:0")
        .contains("dry run: nothing was changed");
    long reread = rereadOf(dry.out);
    // At least one op per row the changes inserted (800) or re-parented (about 275); the total
    // beyond depends on timing (heartbeats per partition, patches): 2,138 alone, 1,916 in a
    // loaded suite.
    assertThat(reread).as(dry.out).isGreaterThan(1000);
    System.out.println("sink dry run:\n" + dry.out);

    assertThat(dry.out)
        .contains(
            "remove the 1 member(s) of group " + prefix + "-sink a stopped stage left behind");
    CliRun exec =
        cdc("replay", "--stage", "sink", "--to-datetime", from.toString(), "--force", "--execute");
    assertThat(exec.code).as(exec.out + exec.err).isZero();
    assertThat(rereadOf(exec.out)).isEqualTo(reread);
    startSink();
    awaitSynced();
    // the re-read ops older than the documents were skipped by the position guard
    assertThat(sink.opsSkipped()).isGreaterThan(0);
  }

  @Test
  @Order(3)
  void sinkReplayOfOneTableCopiesItsOpsOnly() throws Exception {
    try (Statement st = db.createStatement()) {
      st.executeUpdate("UPDATE users SET credits = credits + 1");
    }
    awaitSynced();
    stopSink();
    CliRun unknown = cdc("replay", "--stage", "sink", "--by-duration", "PT1H", "--tables", "nope");
    assertThat(unknown.code).isEqualTo(1);
    assertThat(unknown.err).contains("table 'nope' has no ops in the range").contains("users");

    CliRun exec =
        cdc("replay", "--stage", "sink", "--by-duration", "PT1H", "--tables", "users", "--execute");
    assertThat(exec.code).as(exec.out + exec.err).isZero();
    assertThat(exec.out).containsPattern("copy the [1-9][0-9]* ops of users");
    startSink();
    awaitSynced();
  }

  @Test
  @Order(4)
  void transformerReplayRebuildsItsState() throws Exception {
    stopTransformer();
    Path stateDir = p.workDir().resolve("streams");
    String app = prefix + "-transformer";
    assertThat(stateDir.resolve(app)).exists();
    CliRun exec =
        cdc(
            "replay",
            "--stage",
            "transformer",
            "--to-earliest",
            "--state-dir",
            stateDir.toString(),
            "--execute");
    assertThat(exec.code).as(exec.out + exec.err).isZero();
    System.out.println("transformer replay:\n" + exec.out);
    assertThat(exec.out)
        .contains(prefix + ".public.messages:0")
        .contains("delete the internal topics " + app + "-")
        .contains(app + "-rows-changelog")
        .contains(app + "-ref-requests-repartition")
        .contains("delete the local Kafka Streams state");
    assertThat(stateDir.resolve(app)).doesNotExist();
    try (Admin admin = Admin.create(p.kafkaClientProps())) {
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
          .noneMatch(t -> t.startsWith(app + "-"));
    }
    long appliedBefore = sink.opsApplied();
    startTransformer(p.mapping());
    // children of parents written before the replay resolve through the rebuilt parent ids
    demo.insertMessagesNow(50);
    try (Statement st = db.createStatement()) {
      st.executeUpdate("UPDATE messages SET thread_id = 1 + (thread_id % 40) WHERE id % 9 = 0");
    }
    awaitSynced();
    assertThat(transformer.pendingRows()).isZero();
    // every row was emitted again (equal positions are applied again, not skipped)
    assertThat(sink.opsApplied() - appliedBefore).isGreaterThan(rows());
  }

  @Test
  @Order(5)
  void aLostDeploymentIsFilledAgainFromTheTopics() throws Exception {
    stopSink();
    stopTransformer();
    // the deployment is lost: an empty Convex (no documents, no key rows, no lineage)
    boolean done;
    do {
      done =
          p.convex()
              .mutation("cdc/lineage:resetMirror", Json.NODES.objectNode())
              .path("isDone")
              .asBoolean();
    } while (!done);
    CliRun sinkOnly = cdc("replay", "--stage", "sink", "--to-earliest", "--new-mirror");
    assertThat(sinkOnly.code).isEqualTo(1);
    assertThat(sinkOnly.err).contains("--new-mirror is for --stage transformer");
    CliRun exec =
        cdc(
            "replay",
            "--stage",
            "transformer",
            "--to-earliest",
            "--new-mirror",
            "--state-dir",
            p.workDir().resolve("streams").toString(),
            "--execute");
    assertThat(exec.code).as(exec.out + exec.err).isZero();
    assertThat(exec.out)
        .contains("empty " + prefix + ".ids")
        .contains("to the end of " + prefix + ".ops")
        .contains("remove the mirror recorded in " + prefix + ".lineage");
    startTransformer(p.mapping());
    startSink();
    awaitSynced();
  }

  @Test
  @Order(6)
  void aTimeBeforeRetentionAndBadInputAreRefused() throws Exception {
    stopTransformer();
    stopSink();
    try {
      TopicPartition users = new TopicPartition(prefix + ".public.users", 0);
      try (Admin admin = Admin.create(p.kafkaClientProps())) {
        long end =
            admin
                .listOffsets(Map.of(users, org.apache.kafka.clients.admin.OffsetSpec.latest()))
                .all()
                .get(30, TimeUnit.SECONDS)
                .get(users)
                .offset();
        admin
            .deleteRecords(Map.of(users, RecordsToDelete.beforeOffset(end / 2)))
            .all()
            .get(30, TimeUnit.SECONDS);
      }
      CliRun old = cdc("replay", "--stage", "transformer", "--to-datetime", "2020-01-01T00:00:00Z");
      assertThat(old.code).isEqualTo(1);
      assertThat(old.err).contains("removed by retention").contains("./cdc resync");
      CliRun earliest = cdc("replay", "--stage", "transformer", "--to-earliest");
      assertThat(earliest.code).as(earliest.err).isZero();
      assertThat(earliest.out).contains("note: " + users.topic() + ":0 starts at offset");
      CliRun lost = cdc("replay", "--stage", "transformer", "--to-earliest", "--new-mirror");
      assertThat(lost.code).isEqualTo(1);
      assertThat(lost.err)
          .contains("retention removed the first")
          .contains("cannot fill an empty deployment")
          .contains("./cdc reset");
      CliRun below = cdc("replay", "--stage", "transformer", "--to-offset", users.topic() + ":0:0");
      assertThat(below.code).isEqualTo(1);
      assertThat(below.err).contains("before the partition's earliest offset");

      for (String[] bad :
          List.of(
              new String[] {"replay", "--stage", "source", "--to-earliest"},
              new String[] {"replay", "--stage", "sink", "--to-offset", "ops:x:1"},
              new String[] {"replay", "--stage", "sink"},
              new String[] {"replay", "--stage", "sink", "--by-duration", "1h"},
              new String[] {
                "replay", "--stage", "transformer", "--to-earliest", "--tables", "x"
              })) {
        CliRun r = cdc(bad);
        assertThat(r.code).as(String.join(" ", bad) + r.out).isNotZero();
        assertThat(r.err.strip().lines()).as(r.err).hasSize(1);
        assertThat(r.err).startsWith("error: ");
      }
      CliRun wrongPrefix =
          CliRun.of("dlq", "list", "--kafka", p.bootstrapServers(), "--prefix", prefix + "-nope");
      assertThat(wrongPrefix.code).isEqualTo(1);
      assertThat(wrongPrefix.err).contains("topic " + prefix + "-nope.dlq does not exist");
      try (Admin admin = Admin.create(p.kafkaClientProps())) {
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
            .as("reading creates no topic")
            .noneMatch(t -> t.startsWith(prefix + "-nope"));
      }
      CliRun stopped =
          CliRun.of(
              "replay",
              "--stage",
              "sink",
              "--to-earliest",
              "--kafka",
              "127.0.0.1:1",
              "--set",
              "kafka.default.api.timeout.ms=1500",
              "--set",
              "kafka.request.timeout.ms=1000");
      assertThat(stopped.code).isEqualTo(1);
      assertThat(stopped.err).contains("did not answer").contains("nothing was changed");
    } finally {
      startTransformer(p.mapping());
      startSink();
    }
  }

  @Test
  @Order(7)
  void aPoisonRowFixedByAMappingOverrideIsReplayedFromTheDeadLetterTopic() throws Exception {
    // A wrong override maps notes.counter (bigint) as number: a value above 2^53 is a poison row.
    Path broken = p.workDir().resolve("broken-mapping.yaml");
    Files.writeString(broken, "tables:\n  notes:\n    columns:\n      counter: { type: number }\n");
    Mapping wrong;
    try (Connection c = p.connect()) {
      wrong =
          dev.pgconvex.cli.pipeline.CatalogMapping.read(
              c,
              p.mapping().tables().stream().map(t -> t.qualifiedName()).toList(),
              DemoDatabase.RELATIONS,
              broken,
              "public",
              List.of(),
              Map.of());
    }
    stopTransformer();
    startTransformer(wrong);
    try (Statement st = db.createStatement()) {
      st.executeUpdate("INSERT INTO notes VALUES (1, 9007199254740993), (2, 9007199254740995)");
    }
    JsonNode listed = awaitDeadLetters(2, 1);
    JsonNode group = listed.get("groups").get(0);
    assertThat(group.get("reason").asText()).contains("notes.counter").contains("float64");
    CliRun text = cdc("dlq", "list", "--table", "notes");
    assertThat(text.code).isZero();
    System.out.println("dlq list:\n" + text.out);
    assertThat(text.out).contains("2 dead letter(s)").contains("attempt 1");

    // Replayed before the fix: both fail again and come back as attempt 2, nothing loops.
    CliRun early = cdc("dlq", "replay", "--table", "notes");
    assertThat(early.code).as(early.out + early.err).isZero();
    assertThat(early.out).contains("re-injected 2 of 2");
    awaitDeadLetters(4, 2);

    // The fix: the transformer runs with the right mapping again; row 2 changes meanwhile.
    stopTransformer();
    startTransformer(p.mapping());
    try (Statement st = db.createStatement()) {
      st.executeUpdate("UPDATE notes SET counter = 5 WHERE id = 2");
    }
    CliRun dry = cdc("dlq", "replay", "--table", "notes", "--dry-run");
    assertThat(dry.out)
        .contains("already replayed (--again to replay it once more)")
        .contains("(attempt 3)")
        .contains("dry run: 2 of 4");
    CliRun fix = cdc("dlq", "replay", "--table", "notes");
    assertThat(fix.code).as(fix.out + fix.err).isZero();
    assertThat(fix.out).contains("re-injected 2 of 4");
    // row 1 arrives; row 2's re-injected insert is older than its update and changes nothing
    awaitSynced();
    CliRun second = cdc("dlq", "replay", "--table", "notes");
    assertThat(second.out).contains("re-injected 0 of 4");
    assertThat(cdc("dlq", "list", "--json").out).contains("\"total\":4");
  }

  // --- helpers ---

  private void leaveAStaticMemberBehind(String group) {
    Map<String, Object> props = p.kafkaClientProps();
    props.put(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(
        org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "ghost-sink");
    props.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (var c =
        new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(
            props,
            new org.apache.kafka.common.serialization.StringDeserializer(),
            new org.apache.kafka.common.serialization.StringDeserializer())) {
      c.subscribe(List.of(prefix + ".ops"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                c.poll(Duration.ofMillis(100));
                return !c.assignment().isEmpty();
              });
    }
  }

  private JsonNode awaitDeadLetters(int total, int maxAttempt) {
    JsonNode[] last = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              CliRun r = cdc("dlq", "list", "--table", "notes", "--json");
              assertThat(r.code).as(r.err).isZero();
              last[0] = Json.parse(r.out);
              assertThat(last[0].get("total").asInt()).isEqualTo(total);
            });
    int max = 0;
    for (JsonNode g : last[0].get("groups")) {
      for (JsonNode d : g.get("deadLetters")) {
        max = Math.max(max, d.get("attempt").asInt());
      }
    }
    assertThat(max).isEqualTo(maxAttempt);
    return last[0];
  }

  // inserts, updates, deletes and re-parented rows: a few thousand changes
  private void changes() throws Exception {
    demo.insertMessagesNow(800);
    demo.churn(900, 150);
    try (Statement st = db.createStatement()) {
      st.executeUpdate(
          "UPDATE messages SET thread_id = 1 + (thread_id % "
              + demo.threads()
              + ") WHERE id % 4 = 0");
      st.executeUpdate(
          "UPDATE users SET image = 'https://img.example.com/new.png' WHERE id % 2 = 0");
    }
  }

  private long rows() throws Exception {
    try (Statement st = db.createStatement();
        var rs =
            st.executeQuery(
                "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM threads)"
                    + " + (SELECT count(*) FROM messages)")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long rereadOf(String out) {
    return out.lines()
        .filter(l -> l.startsWith("records to re-read: "))
        .map(l -> Long.parseLong(l.substring("records to re-read: ".length()).replace(",", "")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no total in " + out));
  }

  private CliRun cdc(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--kafka", p.bootstrapServers(), "--prefix", prefix));
    return CliRun.of(all.toArray(String[]::new));
  }

  private void awaitSynced() throws Exception {
    SyncResult r = new SyncWaiter(p).await(SYNC, System.nanoTime(), p.currentWalLsn());
    assertThat(r.synced()).as(r.toJson().toString()).isTrue();
  }

  private void startTransformer(Mapping mapping) {
    Map<String, String> props = p.properties(Stage.TRANSFORMER);
    transformer =
        new Transformer(
            TransformerConfig.definition().parse(props), new SimpleMeterRegistry(), mapping);
    transformer.start();
  }

  private void stopTransformer() {
    if (transformer != null) {
      transformer.close();
      transformer = null;
    }
  }

  private void startSink() {
    sink =
        new ConvexSink(
            SinkConfig.definition().parse(p.properties(Stage.SINK)), new SimpleMeterRegistry());
    sink.start();
  }

  private void stopSink() {
    if (sink != null) {
      sink.close();
      sink = null;
    }
  }
}
