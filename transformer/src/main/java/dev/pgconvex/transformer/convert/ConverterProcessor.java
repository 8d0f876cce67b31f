package dev.pgconvex.transformer.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.transformer.internals.MarkerAlignment;
import dev.pgconvex.transformer.internals.MarkerMsg;
import dev.pgconvex.transformer.internals.Markers;
import dev.pgconvex.transformer.internals.Msg;
import dev.pgconvex.transformer.internals.PendingCounts;
import dev.pgconvex.transformer.internals.RowChange;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First stage: converts each Debezium record of every mapped table into a {@link RowChange} keyed
 * by the row's doc ref, or a {@link DeadLetter} keyed by the original key, counted in {@code
 * pgconvex.transformer.dead.letters{table,reason}} (table: the target table) and warned once per
 * pair. Stateless; one instance per task, used by its stream thread only.
 */
public final class ConverterProcessor implements Processor<String, String, String, Msg> {
  private static final Logger LOG = LoggerFactory.getLogger(ConverterProcessor.class);

  private final Map<String, ChangeConverter> byTopic = new HashMap<>();
  private final LiveMapping live;
  private final Topics topics;
  private long version = -1;
  private final String topicPrefix;
  private final PendingCounts counts;
  private final Map<String, Integer> sourcePartitions;
  private final int partitions;
  private ProcessorContext<String, Msg> context;
  private MarkerAlignment markers;
  private int task;
  private final String heldStore;
  private final long maxHeldChanges;
  private HeldChanges held;

  @Override
  public void close() {
    if (held != null) {
      held.close();
    }
  }

  /**
   * @param sourcePartitions partitions of each source topic: a marker comes from each topic that
   *     has this task's partition
   * @param partitions partitions of the rows topic: a marker goes on to each
   * @param heldStore the store of changes held for schema drift ({@link HeldChanges})
   * @param maxHeldChanges at most so many changes held per table and task; more are dead-lettered
   */
  public ConverterProcessor(
      LiveMapping mapping,
      Topics topics,
      PendingCounts counts,
      Map<String, Integer> sourcePartitions,
      int partitions,
      String heldStore,
      long maxHeldChanges) {
    this.live = mapping;
    this.topics = topics;
    this.topicPrefix = topics.prefix() + ".";
    this.counts = counts;
    this.sourcePartitions = Map.copyOf(sourcePartitions);
    this.partitions = partitions;
    this.heldStore = heldStore;
    this.maxHeldChanges = maxHeldChanges;
  }

  // Converters for the mapping in force; a new one (./cdc schema evolve) lets the held tables go.
  private void refresh() {
    if (version == live.version()) {
      return;
    }
    boolean first = version < 0;
    version = live.version();
    byTopic.clear();
    for (TableMapping t : live.mapping().tables()) {
      byTopic.put(
          topics.source(t.schema(), t.table()),
          new ChangeConverter(
              t,
              column -> {
                if (counts.unmappedColumn(t.target(), column)) {
                  LOG.warn(
                      "Column {}.{} is not in the mapping (added after it was made?): it is not"
                          + " written to Convex. Run ./cdc schema evolve widen to add it to the"
                          + " Convex schema and the mapping while the pipeline runs.",
                      t.qualifiedName(),
                      column);
                }
              }));
    }
    if (!first && held != null) {
      release();
    }
  }

  @Override
  public void init(ProcessorContext<String, Msg> context) {
    this.context = context;
    this.task = context.taskId().partition();
    KeyValueStore<String, String> store = context.getStateStore(heldStore);
    this.held = new HeldChanges(store, context.taskId().toString(), counts, maxHeldChanges);
    refresh();
    // After a restart with a new mapping, the held tables are tried at once, then every 2 s.
    context.schedule(
        java.time.Duration.ofSeconds(2),
        org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
        ts -> {
          refresh();
          release();
        });
    this.markers =
        new MarkerAlignment(
            () ->
                (int)
                    byTopic.keySet().stream()
                        .filter(t -> sourcePartitions.getOrDefault(t, 1) > task)
                        .count());
  }

  @Override
  public void process(Record<String, String> record) {
    refresh();
    RecordMetadata meta = context.recordMetadata().orElse(null);
    String topic = meta == null ? null : meta.topic();
    int partition = meta == null ? -1 : meta.partition();
    long offset = meta == null ? -1 : meta.offset();
    ChangeConverter converter = topic == null ? null : byTopic.get(topic);
    if (converter != null && held.isHeld(converter.table().qualifiedName())) {
      // Behind the held ones, in order (a marker too: it must not pass what waits).
      holdOrDeadLetter(converter, record, topic, partition, offset, null);
      return;
    }
    SchemaDriftException drift = handle(record, topic, partition, offset, converter);
    if (drift != null) {
      holdOrDeadLetter(converter, record, topic, partition, offset, drift);
    }
  }

  /**
   * Converts and forwards one record (or its dead letter).
   *
   * @return the drift when the record no longer matches the mapping (nothing forwarded), else null
   */
  private SchemaDriftException handle(
      Record<String, String> record,
      String topic,
      int partition,
      long offset,
      ChangeConverter converter) {
    try {
      if (converter == null) {
        throw new ConversionException(
            ConversionException.UNMAPPED_TABLE,
            "topic "
                + topic
                + " is not in the mapping; add its table to the mapping (./cdc schema generate)"
                + " and restart the transformer, or remove it from source.tables");
      }
      if (Markers.isMarkerRecord(record.value())) {
        onMarker(record, topic, partition);
        return null;
      }
      RowChange change = converter.convert(record.key(), record.value());
      if (change != null) {
        context.forward(record.withKey(change.ref()).withValue(Msg.of(change)));
      }
      // null: a tombstone after a delete, which the delete already mirrored (by design).
    } catch (SchemaDriftException d) {
      return d;
    } catch (ConversionException | RuntimeException e) {
      // One bad row must not stop the pipeline: report it and go on with the next record.
      String reason =
          e instanceof ConversionException
              ? e.getMessage()
              : "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
      String code = e instanceof ConversionException ce ? ce.code() : "unexpected";
      deadLetter(record, topic, partition, offset, converter, code, reason);
    }
    return null;
  }

  private void deadLetter(
      Record<String, String> record,
      String topic,
      int partition,
      long offset,
      ChangeConverter converter,
      String code,
      String reason) {
    String table = converter != null ? converter.table().target() : tableOf(topic);
    counts.deadLetter(
        table,
        code,
        () ->
            "Dead letter from "
                + topic
                + " partition "
                + partition
                + " offset "
                + offset
                + ": "
                + reason);
    DeadLetter dead =
        new DeadLetter(
            "transformer",
            reason,
            topic,
            partition,
            offset,
            record.key(),
            record.value(),
            System.currentTimeMillis());
    context.forward(record.withValue(Msg.of(dead)));
  }

  // Holds the record behind the table's held changes; past the bound it is dead-lettered instead,
  // counted and named, so that a table nobody fixes cannot fill the disk.
  private void holdOrDeadLetter(
      ChangeConverter converter,
      Record<String, String> record,
      String topic,
      int partition,
      long offset,
      SchemaDriftException drift) {
    String table = converter.table().qualifiedName();
    if (!held.append(table, record, topic, partition, offset, drift)) {
      deadLetter(
          record,
          topic,
          partition,
          offset,
          converter,
          "held_overflow",
          table
              + " holds "
              + held.maxChanges()
              + " changes for schema drift already (transformer.schema.drift.max.held.changes):"
              + " this one is dead-lettered; widen the mapping (./cdc schema evolve widen),"
              + " then replay the dead letters of the table (./cdc dlq replay)");
    }
  }

  // Tries each held table against the mapping now in force: once its oldest change matches, its
  // changes go on in order, a bounded number per call so the stream thread is not blocked.
  private void release() {
    held.release(
        (table, r) -> {
          ChangeConverter converter = byTopic.get(r.topic());
          return handle(r.record(), r.topic(), r.partition(), r.offset(), converter);
        });
  }

  /**
   * A marker the source wrote into every partition of every table topic: once this task has it from
   * each of its input partitions, every change before it has been converted, and it goes on to
   * every partition of the rows topic.
   */
  private void onMarker(Record<String, String> record, String topic, int partition)
      throws ConversionException {
    JsonNode m = Json.parse(record.value()).path("marker");
    if (!m.hasNonNull("id")) {
      throw new ConversionException(
          "bad_marker", "a marker record without an id: " + record.value());
    }
    MarkerMsg copy =
        new MarkerMsg(
            m.path("pipeline").asText(),
            m.get("id").asText(),
            m.path("lsn").asLong(),
            m.path("commitTs").asLong(),
            m.path("sourceAt").asLong(),
            topic + ":" + partition,
            0);
    markers
        .offer(copy)
        .ifPresent(
            aligned -> {
              MarkerMsg out = aligned.sentBy("converter:" + task, 0);
              for (int q = 0; q < partitions; q++) {
                context.forward(record.withKey(Markers.key(q)).withValue(Msg.of(out)));
              }
            });
  }

  /** {@code schema.table} of a Debezium topic outside the mapping (the topic when not one). */
  private String tableOf(String topic) {
    if (topic == null) {
      return "unknown";
    }
    return topic.startsWith(topicPrefix) ? topic.substring(topicPrefix.length()) : topic;
  }
}
