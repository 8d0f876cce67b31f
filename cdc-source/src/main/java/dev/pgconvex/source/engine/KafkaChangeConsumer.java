package dev.pgconvex.source.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import dev.pgconvex.source.engine.SourceProgress.SnapshotState;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Hands each Debezium batch to Kafka and marks records processed only once Kafka acknowledged the
 * whole batch: a stored offset never runs ahead of the data (no WAL gap after a crash; duplicates
 * are possible). Key and value are Debezium JSON without schemas; tombstones are kept. Debezium
 * heartbeats and signal-table changes are marked processed without being sent (they only move the
 * position, or drive resyncs); a streamed heartbeat-table change becomes a small heartbeat record
 * on {@code <prefix>.heartbeats} ({@code {"commitTs","lsn"}}, docs/contracts.md) instead of a
 * change on the table's topic, so the stages after the source can show that the chain flows while
 * the captured tables are idle. All three are counted in {@code
 * pgconvex_source_internal_records_total{kind}}.
 *
 * <p>Called by the engine on one thread at a time; the producer is owned by the caller. A send that
 * fails is reported to {@code onFailure}, then thrown, which stops the engine.
 */
public final class KafkaChangeConsumer
    implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
  /** The logical message prefix of barrier markers. */
  public static final String MARKER_PREFIX =
      dev.pgconvex.common.model.Operation.MARKER_MESSAGE_PREFIX;

  private final Producer<byte[], byte[]> producer;
  private final SourceProgress progress;
  private final SourceMetrics metrics;
  private final Consumer<SourceDeliveryException> onFailure;
  private final String tablePrefix;
  private final String heartbeatTopic;
  private final String heartbeatTableTopic;
  private final String heartbeatsTopic;
  private final String signalTableTopic;
  private final String messageTopic;
  private final java.util.function.Function<TableId, String> topicOf;
  private final String pipeline;
  private final List<String> tableTopics;
  private final JsonConverter keyConverter = new JsonConverter();
  private final JsonConverter valueConverter = new JsonConverter();

  public KafkaChangeConsumer(
      Producer<byte[], byte[]> producer,
      SourceSettings settings,
      SourceProgress progress,
      SourceMetrics metrics,
      Consumer<SourceDeliveryException> onFailure) {
    this.producer = producer;
    this.onFailure = onFailure;
    this.progress = progress;
    this.metrics = metrics;
    this.tablePrefix = settings.topics().prefix() + ".";
    this.heartbeatTopic = settings.heartbeatTopic();
    this.heartbeatTableTopic = settings.topicOf(settings.heartbeatTable());
    this.heartbeatsTopic = settings.topics().heartbeats();
    this.signalTableTopic = settings.topicOf(settings.signalTable());
    this.messageTopic = settings.messageTopic();
    this.topicOf = settings::topicOf;
    this.pipeline = settings.topics().prefix();
    this.tableTopics = settings.tables().stream().map(settings::topicOf).toList();
    // replace.null.with.default=false: a NULL in a column with a DEFAULT must stay NULL.
    Map<String, String> conf =
        Map.of(
            "schemas.enable", "false",
            "replace.null.with.default", "false");
    keyConverter.configure(conf, true);
    valueConverter.configure(conf, false);
  }

  @Override
  public void handleBatch(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
    List<SourceRecord> sent = new ArrayList<>(records.size());
    for (RecordChangeEvent<SourceRecord> event : records) {
      SourceRecord r = event.record();
      if (r.topic().equals(heartbeatTableTopic)) {
        ProducerRecord<byte[], byte[]> heartbeat = heartbeat(r);
        if (heartbeat != null) {
          acks.add(producer.send(heartbeat));
          sent.add(r);
        }
        continue;
      }
      if (isInternal(r.topic())) {
        continue;
      }
      byte[] key = keyConverter.fromConnectData(r.topic(), r.keySchema(), r.key());
      byte[] value =
          r.value() == null
              ? null
              : valueConverter.fromConnectData(r.topic(), r.valueSchema(), r.value());
      acks.add(producer.send(new ProducerRecord<>(r.topic(), key, value)));
      sent.add(r);
      ProducerRecord<byte[], byte[]> truncate = partitionTruncate(r);
      if (truncate != null) {
        acks.add(producer.send(truncate));
        sent.add(r);
      }
      for (ProducerRecord<byte[], byte[]> marker : markers(r)) {
        acks.add(producer.send(marker));
        sent.add(r);
      }
    }
    for (int i = 0; i < acks.size(); i++) {
      try {
        acks.get(i).get();
      } catch (ExecutionException e) {
        SourceDeliveryException failure =
            new SourceDeliveryException(
                "Kafka did not acknowledge a change for topic "
                    + sent.get(i).topic()
                    + " (source offset "
                    + sent.get(i).sourceOffset()
                    + "); nothing of this batch is marked processed, a restart resends it: "
                    + e.getCause(),
                e.getCause());
        // Reported before throwing: the engine's own shutdown can take long while Kafka is away.
        onFailure.accept(failure);
        throw failure;
      }
    }
    for (RecordChangeEvent<SourceRecord> event : records) {
      committer.markProcessed(event);
      observe(event.record());
      String kind = internalKind(event.record().topic());
      if (kind != null) {
        metrics.internalRecord(kind);
      }
    }
    committer.markBatchFinished();
  }

  /**
   * The heartbeat record for a streamed change of the heartbeat table ({@code {"commitTs": source
   * ts_ms, "lsn": source lsn}} on {@code <prefix>.heartbeats}, no key), or null for a snapshot read
   * of it, a tombstone or a record without a source block (nothing was committed then).
   */
  private ProducerRecord<byte[], byte[]> heartbeat(SourceRecord r) {
    if (!(r.value() instanceof Struct value)
        || value.schema().field("op") == null
        || value.schema().field("source") == null) {
      return null;
    }
    String op = value.getString("op");
    Struct source = value.getStruct("source");
    if (source == null || !("c".equals(op) || "u".equals(op))) {
      return null;
    }
    Object ts = source.schema().field("ts_ms") == null ? null : source.get("ts_ms");
    Object lsn = source.schema().field("lsn") == null ? null : source.get("lsn");
    if (!(ts instanceof Number commitTs) || !(lsn instanceof Number at)) {
      return null;
    }
    ObjectNode beat = Json.NODES.objectNode();
    beat.put("commitTs", commitTs.longValue());
    beat.put("lsn", at.longValue());
    return new ProducerRecord<>(heartbeatsTopic, null, Json.writeBytes(beat));
  }

  /**
   * The truncate event of the parent for a {@link PartitionTruncateWatch} message (a TRUNCATE of
   * one partition, which the publication does not publish), or null for any other record. Shaped
   * like Debezium's own truncate event (op {@code t}, no key), plus {@code partition}, so the
   * transformer dead-letters it with the fix.
   */
  private ProducerRecord<byte[], byte[]> partitionTruncate(SourceRecord r) {
    String content = messageContent(r, PartitionTruncateWatch.MESSAGE_PREFIX);
    if (content == null) {
      return null;
    }
    Struct value = (Struct) r.value();
    int bar = content.indexOf('|');
    if (bar <= 0) {
      return null;
    }
    TableId parent = TableId.parse(content.substring(0, bar));
    String partition = content.substring(bar + 1);
    Struct source = value.getStruct("source");
    long ts = source != null && source.get("ts_ms") instanceof Number n ? n.longValue() : 0L;
    Object lsn = source == null ? null : source.get("lsn");
    ObjectNode event = Json.NODES.objectNode();
    event.putNull("before");
    event.putNull("after");
    event.put("op", "t");
    event.put("ts_ms", System.currentTimeMillis());
    event.put("partition", partition);
    ObjectNode src =
        event.putObject("source").put("schema", parent.schema()).put("table", parent.table());
    src.put("ts_ms", ts);
    if (lsn instanceof Number n) {
      src.put("lsn", n.longValue());
    }
    metrics.event(parent.toString(), "truncate");
    return new ProducerRecord<>(topicOf.apply(parent), null, Json.writeBytes(event));
  }

  /**
   * The marker records for a cutover marker message of this pipeline ({@code
   * pg_logical_emit_message} with prefix {@value #MARKER_PREFIX}, content {@code
   * {"pipeline","id"}}): one into every partition of every captured table's topic, so that the
   * transformer sees it behind every change before it (docs/contracts.md, "Markers"). None for any
   * other record, or a marker of another pipeline sharing the database (its own source handles it).
   */
  private List<ProducerRecord<byte[], byte[]>> markers(SourceRecord r) {
    String content = messageContent(r, MARKER_PREFIX);
    if (content == null) {
      return List.of();
    }
    com.fasterxml.jackson.databind.JsonNode m;
    try {
      m = Json.parse(content);
    } catch (IllegalArgumentException e) {
      m = null;
    }
    if (m == null || !pipeline.equals(m.path("pipeline").asText()) || !m.hasNonNull("id")) {
      return List.of();
    }
    Struct source = ((Struct) r.value()).getStruct("source");
    long ts = source != null && source.get("ts_ms") instanceof Number n ? n.longValue() : 0L;
    long lsn = source != null && source.get("lsn") instanceof Number n ? n.longValue() : 0L;
    ObjectNode marker = Json.NODES.objectNode();
    marker.put("pipeline", pipeline);
    marker.put("id", m.get("id").asText());
    marker.put("lsn", lsn);
    marker.put("commitTs", ts);
    marker.put("sourceAt", System.currentTimeMillis());
    ObjectNode event = Json.NODES.objectNode().put("op", "m");
    event.set("marker", marker);
    byte[] value = Json.writeBytes(event);
    byte[] key = Json.writeBytes(Json.NODES.objectNode().put("_marker", m.get("id").asText()));
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (String topic : tableTopics) {
      int partitions = producer.partitionsFor(topic).size();
      for (int p = 0; p < partitions; p++) {
        out.add(new ProducerRecord<>(topic, p, key, value));
      }
    }
    metrics.internalRecord("marker");
    return out;
  }

  /**
   * The content of a logical decoding message with {@code prefix}, or null for any other record.
   */
  private String messageContent(SourceRecord r, String prefix) {
    if (!r.topic().equals(messageTopic)
        || !(r.value() instanceof Struct value)
        || value.schema().field("message") == null) {
      return null;
    }
    Struct message = value.getStruct("message");
    if (message == null || !prefix.equals(message.getString("prefix"))) {
      return null;
    }
    Object raw = message.get("content");
    return raw instanceof byte[] b
        ? new String(b, StandardCharsets.UTF_8)
        : raw instanceof java.nio.ByteBuffer bb
            ? StandardCharsets.UTF_8.decode(bb.duplicate()).toString()
            // binary.handling.mode=base64 turns the content into base64 text
            : new String(
                java.util.Base64.getDecoder().decode(String.valueOf(raw)), StandardCharsets.UTF_8);
  }

  private void observe(SourceRecord r) {
    Map<String, ?> offset = r.sourceOffset();
    long lsn = asLong(offset == null ? null : offset.get("lsn"));
    Long commitLsn =
        offset == null || offset.get("lsn_commit") == null
            ? null
            : asLong(offset.get("lsn_commit"));
    boolean offsetInSnapshot = offset != null && isTrue(offset.get("snapshot"));
    SnapshotState snapshot = offsetInSnapshot ? SnapshotState.RUNNING : SnapshotState.STREAMING;
    long sourceTs = 0;
    if (r.value() instanceof Struct value && value.schema().field("op") != null) {
      String op = value.getString("op");
      Struct source = value.schema().field("source") == null ? null : value.getStruct("source");
      String table =
          r.topic().startsWith(tablePrefix) ? r.topic().substring(tablePrefix.length()) : r.topic();
      String snap = source == null ? null : stringField(source, "snapshot");
      if ("incremental".equals(snap)) {
        // A resync's read runs alongside streaming: every change before it is already in Kafka.
        snapshot = SnapshotState.STREAMING;
      } else if (snap != null && !"false".equals(snap)) {
        snapshot = "last".equals(snap) ? SnapshotState.LAST : SnapshotState.RUNNING;
      } else if (snap != null) {
        snapshot = SnapshotState.STREAMING;
      }
      if (source != null && source.schema().field("ts_ms") != null) {
        Object ts = source.get("ts_ms");
        sourceTs = ts instanceof Number n ? n.longValue() : 0;
      }
      if (!isInternal(r.topic())) {
        metrics.event(table, opName(op));
        if ("r".equals(op)) {
          metrics.snapshotRow(table);
        }
      }
    } else if (r.value() == null && r.topic().startsWith(tablePrefix)) {
      if (!isInternal(r.topic())) {
        metrics.event(r.topic().substring(tablePrefix.length()), "tombstone");
      }
    }
    // A commit LSN only counts once streaming: during the snapshot, earlier commits are not all in
    // Kafka yet.
    progress.acked(lsn, snapshot == SnapshotState.STREAMING ? commitLsn : null, sourceTs, snapshot);
  }

  private boolean isInternal(String topic) {
    return internalKind(topic) != null;
  }

  /**
   * The kind of a record the source keeps out of the table topics by design, or null for one it
   * forwards: {@code heartbeat} (Debezium's heartbeat topic), {@code heartbeat_table} (changes of
   * the heartbeat table: they move the position, and go to {@code <prefix>.heartbeats} as
   * heartbeats) or {@code signal_table} (resync signals and incremental snapshot watermarks).
   */
  private String internalKind(String topic) {
    if (topic.equals(heartbeatTopic)) {
      return "heartbeat";
    }
    if (topic.equals(heartbeatTableTopic)) {
      return "heartbeat_table";
    }
    if (topic.equals(signalTableTopic)) {
      return "signal_table";
    }
    return null;
  }

  private static String stringField(Struct s, String name) {
    Field f = s.schema().field(name);
    if (f == null) {
      return null;
    }
    Object v = s.get(f);
    return v == null ? null : v.toString();
  }

  private static boolean isTrue(Object v) {
    return v instanceof Boolean b ? b : v != null && !"false".equalsIgnoreCase(v.toString());
  }

  private static long asLong(Object v) {
    return v instanceof Number n ? n.longValue() : 0L;
  }

  /** Debezium's one-letter operation as a metric tag. */
  static String opName(String op) {
    if (op == null) {
      return "unknown";
    }
    return switch (op) {
      case "c" -> "create";
      case "u" -> "update";
      case "d" -> "delete";
      case "r" -> "read";
      case "t" -> "truncate";
      case "m" -> "message";
      default -> op;
    };
  }
}
