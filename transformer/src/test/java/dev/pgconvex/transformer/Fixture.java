package dev.pgconvex.transformer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.transformer.convert.LiveMapping;
import dev.pgconvex.transformer.internals.PendingCounts;
import dev.pgconvex.transformer.internals.RowState;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

/** Test mapping, Debezium-shaped events and a TopologyTestDriver wrapper. */
final class Fixture {
  static final Topics TOPICS = new Topics("t");

  private Fixture() {}

  static ColumnMapping col(String column, FieldType type) {
    return ColumnMapping.of(column, camel(column), null, type, true);
  }

  static String camel(String s) {
    StringBuilder b = new StringBuilder();
    boolean up = false;
    for (char c : s.toCharArray()) {
      if (c == '_') {
        up = true;
      } else {
        b.append(up ? Character.toUpperCase(c) : c);
        up = false;
      }
    }
    return b.toString();
  }

  /**
   * users(id) &lt;- posts(id, user_id required, editor_id optional); orders(region, num) &lt;-
   * shipments(id, order_region, order_num); categories(id, parent_id optional self reference).
   */
  static Mapping mapping() {
    return new Mapping(
        List.of(
            new TableMapping(
                "public",
                "users",
                "users",
                List.of("id"),
                List.of(col("id", FieldType.NUMBER), col("name", FieldType.STRING)),
                List.of()),
            new TableMapping(
                "public",
                "posts",
                "posts",
                List.of("id"),
                List.of(
                    col("id", FieldType.NUMBER),
                    col("title", FieldType.STRING),
                    col("body", FieldType.STRING),
                    new ColumnMapping(
                        "created_at",
                        "createdAt",
                        "timestamp(3) without time zone",
                        FieldType.TIMESTAMP_MS,
                        null,
                        true,
                        null)),
                List.of(
                    new RelationMapping("authorId", List.of("user_id"), "users", false),
                    new RelationMapping("editorId", List.of("editor_id"), "users", true))),
            new TableMapping(
                "public",
                "orders",
                "orders",
                List.of("region", "num"),
                List.of(col("region", FieldType.STRING), col("num", FieldType.NUMBER)),
                List.of()),
            new TableMapping(
                "public",
                "shipments",
                "shipments",
                List.of("id"),
                List.of(col("id", FieldType.NUMBER)),
                List.of(
                    new RelationMapping(
                        "orderId", List.of("order_region", "order_num"), "orders", false))),
            new TableMapping(
                "public",
                "categories",
                "categories",
                List.of("id"),
                List.of(col("id", FieldType.NUMBER), col("name", FieldType.STRING)),
                List.of(
                    new RelationMapping("parentId", List.of("parent_id"), "categories", true)))));
  }

  static ObjectNode row(Object... kv) {
    ObjectNode o = Json.NODES.objectNode();
    for (int i = 0; i < kv.length; i += 2) {
      o.set((String) kv[i], Json.MAPPER.valueToTree(kv[i + 1]));
    }
    return o;
  }

  static String envelope(String op, ObjectNode before, ObjectNode after, long lsn, long order) {
    ObjectNode e = Json.NODES.objectNode();
    e.set("before", before);
    e.set("after", after);
    ObjectNode source = e.putObject("source");
    source.put("lsn", lsn);
    source.put("txId", op.equals("r") ? null : lsn / 10);
    source.put("ts_ms", 1_700_000_000_000L + lsn);
    source.put("snapshot", op.equals("r") ? "true" : "false");
    e.put("op", op);
    e.put("ts_ms", 1_700_000_000_500L + lsn);
    if (!op.equals("r")) {
      ObjectNode tx = e.putObject("transaction");
      tx.put("id", (lsn / 10) + ":" + lsn);
      tx.put("total_order", order);
      tx.put("data_collection_order", order);
    }
    return Json.write(e);
  }

  /** A TopologyTestDriver over the transformer topology. Close it. */
  static final class Driver implements AutoCloseable {
    final Mapping mapping;

    /** The converters' mapping: offer a widened one as the transformer's file watch does. */
    final LiveMapping live;

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final PendingCounts counts = new PendingCounts(registry);
    final TopologyTestDriver driver;
    final TestInputTopic<String, String> ids;
    final TestInputTopic<String, String> heartbeats;
    final TestOutputTopic<String, String> ops;
    final TestOutputTopic<String, String> dlq;
    private final Map<String, TestInputTopic<String, String>> sources = new HashMap<>();

    Driver() {
      this(mapping());
    }

    Driver(Mapping mapping) {
      this(mapping, false);
    }

    Driver(Mapping mapping, boolean inMemory) {
      this(mapping, inMemory, TransformerTopology.DEFAULT_ORPHAN_REPORT_AFTER_MS);
    }

    Driver(Mapping mapping, boolean inMemory, long orphanReportAfterMs) {
      this(mapping, inMemory, orphanReportAfterMs, 2);
    }

    /**
     * @param partitions {@code cdc.topic.partitions}; the test driver has one partition per topic,
     *     so markers (which align over every partition) need 1
     */
    Driver(Mapping mapping, boolean inMemory, long orphanReportAfterMs, int partitions) {
      this(
          mapping,
          inMemory,
          orphanReportAfterMs,
          partitions,
          TransformerTopology.DEFAULT_MAX_HELD_CHANGES);
    }

    Driver(
        Mapping mapping,
        boolean inMemory,
        long orphanReportAfterMs,
        int partitions,
        long maxHeldChanges) {
      this(
          mapping,
          inMemory,
          orphanReportAfterMs,
          partitions,
          maxHeldChanges,
          TransformerTopology.DEFAULT_PARENT_ID_CACHE_ENTRIES);
    }

    Driver(
        Mapping mapping,
        boolean inMemory,
        long orphanReportAfterMs,
        int partitions,
        long maxHeldChanges,
        int parentIdCacheEntries) {
      this.mapping = mapping;
      this.live = new LiveMapping(mapping);
      Properties p = new Properties();
      p.put(StreamsConfig.APPLICATION_ID_CONFIG, "transformer-test");
      p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
      try {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(tmp);
        p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory(tmp, "ttd").toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      driver =
          new TopologyTestDriver(
              TransformerTopology.build(
                  TransformerTopology.Options.of(mapping, TOPICS, partitions)
                      .withCounts(counts)
                      .withOrphanReportAfterMs(orphanReportAfterMs)
                      .withInMemoryStores(inMemory)
                      .withMaxHeldChanges(maxHeldChanges)
                      .withParentIdCacheEntries(parentIdCacheEntries)
                      .withLiveMapping(live)),
              p);
      ids = driver.createInputTopic(TOPICS.ids(), new StringSerializer(), new StringSerializer());
      heartbeats =
          driver.createInputTopic(
              TOPICS.heartbeats(), new StringSerializer(), new StringSerializer());
      ops =
          driver.createOutputTopic(
              TOPICS.ops(), new StringDeserializer(), new StringDeserializer());
      dlq =
          driver.createOutputTopic(
              TOPICS.deadLetters(), new StringDeserializer(), new StringDeserializer());
    }

    TestInputTopic<String, String> source(String table) {
      return sources.computeIfAbsent(
          table,
          t ->
              driver.createInputTopic(
                  TOPICS.source("public", t), new StringSerializer(), new StringSerializer()));
    }

    void send(String table, String key, String value) {
      source(table).pipeInput(key, value);
    }

    void create(String table, ObjectNode after, long lsn) {
      send(table, keyOf(table, after), envelope("c", null, full(table, after), lsn, 1));
    }

    /**
     * The image as Debezium writes it: every column of the row, NULLs as null (a mapped column left
     * out of a test's row is NULL, not gone: gone is schema drift).
     */
    ObjectNode full(String table, ObjectNode image) {
      return Fixture.full(mapping, table, image);
    }

    /** A row re-read by an incremental snapshot (resync): no lsn, snapshot "incremental". */
    void resyncRead(String table, ObjectNode after) {
      ObjectNode e = (ObjectNode) Json.parse(envelope("r", null, full(table, after), 0, 0));
      ((ObjectNode) e.get("source")).putNull("lsn").put("snapshot", "incremental");
      send(table, keyOf(table, after), Json.write(e));
    }

    void snapshot(String table, ObjectNode after) {
      send(table, keyOf(table, after), envelope("r", null, full(table, after), 0, 0));
    }

    void update(String table, ObjectNode before, ObjectNode after, long lsn) {
      send(table, keyOf(table, after), envelope("u", before, full(table, after), lsn, 1));
    }

    void delete(String table, ObjectNode before, long lsn) {
      String key = keyOf(table, before);
      send(table, key, envelope("d", before, null, lsn, 1));
      send(table, key, (String) null);
    }

    String keyOf(String table, ObjectNode image) {
      ObjectNode k = Json.NODES.objectNode();
      for (String c : mapping.bySource("public", table).orElseThrow().primaryKey()) {
        k.set(c, image.get(c));
      }
      return Json.write(k);
    }

    void id(String ref, String id) {
      ObjectNode v = Json.NODES.objectNode();
      v.put("id", id);
      v.put("position", "0000000000000000:00000000");
      ids.pipeInput(ref, Json.write(v));
    }

    void idDeleted(String ref) {
      ids.pipeInput(ref, (String) null);
    }

    List<Operation> ops() {
      return ops.readValuesToList().stream().map(Fixture::operation).toList();
    }

    /** Every op, keyed check: the Kafka key equals the op's ref. */
    Map<String, Operation> lastOps() {
      Map<String, Operation> out = new LinkedHashMap<>();
      ops.readKeyValuesToList()
          .forEach(
              kv -> {
                Operation op = operation(kv.value);
                if (!kv.key.equals(op.ref().toString())) {
                  throw new AssertionError("key " + kv.key + " for " + op.ref());
                }
                out.put(kv.key, op);
              });
      return out;
    }

    List<DeadLetter> deadLetters() {
      return dlq.readValuesToList().stream()
          .map(v -> Json.MAPPER.convertValue(Json.parse(v), DeadLetter.class))
          .toList();
    }

    KeyValueStore<String, RowState> rows() {
      return driver.getKeyValueStore(TransformerTopology.ROWS_STORE);
    }

    @Override
    public void close() {
      driver.close();
    }
  }

  /** {@link Driver#full} for any mapping. */
  static ObjectNode full(Mapping mapping, String table, ObjectNode image) {
    if (image == null) {
      return null;
    }
    ObjectNode out = image.deepCopy();
    var t = mapping.bySource("public", table).orElseThrow();
    List<String> cols = new ArrayList<>(t.primaryKey());
    t.columns().forEach(c -> cols.add(c.column()));
    cols.addAll(t.relationColumns());
    for (String c : cols) {
      if (!out.has(c)) {
        out.putNull(c);
      }
    }
    return out;
  }

  static Operation operation(String json) {
    return Json.MAPPER.convertValue(Json.parse(json), Operation.class);
  }
}
