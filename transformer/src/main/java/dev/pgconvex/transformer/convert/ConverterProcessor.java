package dev.pgconvex.transformer.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
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
  private final String topicPrefix;
  private final PendingCounts counts;
  private final Map<String, Integer> sourcePartitions;
  private final int partitions;
  private ProcessorContext<String, Msg> context;
  private MarkerAlignment markers;
  private int task;

  /** Without markers from more than one partition per topic (tests of the conversion alone). */
  public ConverterProcessor(Mapping mapping, Topics topics, PendingCounts counts) {
    this(mapping, topics, counts, Map.of(), 1);
  }

  /**
   * @param sourcePartitions partitions of each source topic: a marker comes from each topic that
   *     has this task's partition
   * @param partitions partitions of the rows topic: a marker goes on to each
   */
  public ConverterProcessor(
      Mapping mapping,
      Topics topics,
      PendingCounts counts,
      Map<String, Integer> sourcePartitions,
      int partitions) {
    for (TableMapping t : mapping.tables()) {
      byTopic.put(
          topics.source(t.schema(), t.table()),
          new ChangeConverter(
              t,
              column -> {
                if (counts.unmappedColumn(t.target(), column)) {
                  LOG.warn(
                      "Column {}.{} is not in the mapping (added after it was made?): it is not"
                          + " written to Convex. Run ./cdc schema diff, regenerate the mapping and"
                          + " the Convex schema, deploy, then restart the transformer.",
                      t.qualifiedName(),
                      column);
                }
              }));
    }
    this.topicPrefix = topics.prefix() + ".";
    this.counts = counts;
    this.sourcePartitions = Map.copyOf(sourcePartitions);
    this.partitions = partitions;
  }

  @Override
  public void init(ProcessorContext<String, Msg> context) {
    this.context = context;
    this.task = context.taskId().partition();
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
    RecordMetadata meta = context.recordMetadata().orElse(null);
    String topic = meta == null ? null : meta.topic();
    ChangeConverter converter = topic == null ? null : byTopic.get(topic);
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
        onMarker(record, topic, meta.partition());
        return;
      }
      RowChange change = converter.convert(record.key(), record.value());
      if (change != null) {
        context.forward(record.withKey(change.ref()).withValue(Msg.of(change)));
      }
      // null: a tombstone after a delete, which the delete already mirrored (by design).
    } catch (ConversionException | RuntimeException e) {
      // One bad row must not stop the pipeline: report it and go on with the next record.
      String reason =
          e instanceof ConversionException
              ? e.getMessage()
              : "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
      String code = e instanceof ConversionException ce ? ce.code() : "unexpected";
      String table = converter != null ? converter.table().target() : tableOf(topic);
      int partition = meta == null ? -1 : meta.partition();
      long offset = meta == null ? -1 : meta.offset();
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
