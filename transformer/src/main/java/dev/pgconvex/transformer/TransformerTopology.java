package dev.pgconvex.transformer;

import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.transformer.convert.ConverterProcessor;
import dev.pgconvex.transformer.convert.LiveMapping;
import dev.pgconvex.transformer.internals.IdUpdate;
import dev.pgconvex.transformer.internals.InternalSerde;
import dev.pgconvex.transformer.internals.Markers;
import dev.pgconvex.transformer.internals.Msg;
import dev.pgconvex.transformer.internals.PendingCounts;
import dev.pgconvex.transformer.internals.RowState;
import dev.pgconvex.transformer.resolve.Assembler;
import dev.pgconvex.transformer.resolve.ParentIdCache;
import dev.pgconvex.transformer.resolve.Resolver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the transformer's Kafka Streams topology. Every node, store and internal topic is named,
 * so names stay stable across versions (changelogs and repartition topics keep their data):
 *
 * <pre>
 * debezium-source (all mapped tables) -> converter -> dead letters -> dlq-sink
 *                                                  -> rows (repartition by child ref)
 *   -> assembler [rows] -> ops -> ops-sink
 *                       -> orphan reports (wall-clock punctuator) -> orphans-dlq-sink
 *                       -> ref-requests (repartition by parent ref)
 *   + ids-source -> resolver [parent-ids, subscriptions] -> ref-responses (by child ref)
 *   -> assembler-responses [rows] -> ops -> ops-sink
 * (a child whose parent's id is in the task's ParentIdCache is written at once; its request only
 *   subscribes, and the resolver answers it only when the cached id is wrong)
 * markers (docs/contracts.md, "Markers") take the row path: each node forwards a marker to every
 *   partition of its output once it has it from every upstream task; the last writes a marker op
 *   to every ops partition behind the ops before it
 * heartbeats-source -> heartbeat-fanout (one heartbeat op per ops partition)
 *   -> heartbeat-ops-sink (each to the partition its key names)
 * </pre>
 *
 * Repartition topics get {@code partitions} partitions, like the ids topic, so the resolver's two
 * inputs are co-partitioned. The heartbeat path is a sub-topology of its own (one task, the
 * heartbeats topic has one partition): it shows the transformer runs, not that the rows before a
 * heartbeat have left it (docs/contracts.md, "Heartbeat"). Stateless; call from any thread.
 */
public final class TransformerTopology {
  /** Child ref to {@link RowState}. */
  public static final String ROWS_STORE = "rows";

  /** Parent ref to Convex id. */
  public static final String PARENT_IDS_STORE = "parent-ids";

  /** {@code parentRef NUL childRef NUL field} to position of the pending request. */
  public static final String SUBSCRIPTIONS_STORE = "subscriptions";

  /** Changes of tables in schema drift, held in order per converter task. */
  public static final String HELD_STORE = "held-changes";

  /** The default of {@code transformer.parent.id.cache.entries}. */
  public static final int DEFAULT_PARENT_ID_CACHE_ENTRIES = 100_000;

  /** The default of {@code transformer.schema.drift.max.held.changes}. */
  public static final long DEFAULT_MAX_HELD_CHANGES = 1_000_000;

  /** The source node of {@code <prefix>.heartbeats}; its sub-topology comes last. */
  static final String HEARTBEATS_SOURCE = "heartbeats-source";

  private TransformerTopology() {}

  /** The default of {@code transformer.orphan.report.after.ms} (5 minutes). */
  static final long DEFAULT_ORPHAN_REPORT_AFTER_MS = 300_000;

  /**
   * What the topology is built from; {@link #of} gives the defaults, the {@code with...} methods
   * change one. Immutable.
   *
   * @param mapping the tables to mirror; not empty
   * @param topics topic names
   * @param partitions partitions of the internal repartition topics ({@code cdc.topic.partitions})
   * @param counts where held rows and refs are counted
   * @param orphanReportAfterMs rows held this long (wall clock, ms) for a required parent are
   *     reported to the dead-letter topic; 0 never
   * @param inMemoryStores in-memory stores (still changelogged) instead of RocksDB, for tests and
   *     measurements of the processing alone
   * @param sourcePartitions partitions of each source topic ({@link #partitionsOfSources})
   * @param maxHeldChanges changes held per table and task for schema drift at most
   * @param live the converters' mapping, replaceable while running; starts as {@code mapping}
   * @param parentIdCacheEntries parent ids each assembler task keeps to write a child at once
   *     ({@link Assembler}); 0 for none
   */
  public record Options(
      Mapping mapping,
      Topics topics,
      int partitions,
      PendingCounts counts,
      long orphanReportAfterMs,
      boolean inMemoryStores,
      Map<String, Integer> sourcePartitions,
      long maxHeldChanges,
      LiveMapping live,
      int parentIdCacheEntries) {
    public Options {
      if (parentIdCacheEntries < 0) {
        throw new IllegalArgumentException("parentIdCacheEntries must be >= 0");
      }
      Objects.requireNonNull(mapping, "mapping");
      if (live == null || !live.mapping().equals(mapping)) {
        live = new LiveMapping(mapping);
      }
      Objects.requireNonNull(topics, "topics");
      Objects.requireNonNull(counts, "counts");
      sourcePartitions = Map.copyOf(sourcePartitions);
    }

    /**
     * Partitions of each source topic: a marker comes from every one of them (docs/contracts.md,
     * "Markers"). A topic not named has {@code partitions}.
     */
    public Map<String, Integer> partitionsOfSources() {
      Map<String, Integer> out = new HashMap<>();
      for (String t : sourceTopics(mapping, topics)) {
        out.put(t, sourcePartitions.getOrDefault(t, partitions));
      }
      return out;
    }

    /** Counts of their own, orphans reported after 5 minutes, RocksDB stores. */
    public static Options of(Mapping mapping, Topics topics, int partitions) {
      return new Options(
          mapping,
          topics,
          partitions,
          new PendingCounts(),
          DEFAULT_ORPHAN_REPORT_AFTER_MS,
          false,
          Map.of(),
          DEFAULT_MAX_HELD_CHANGES,
          null,
          DEFAULT_PARENT_ID_CACHE_ENTRIES);
    }

    public Options withCounts(PendingCounts c) {
      return new Options(
          mapping,
          topics,
          partitions,
          c,
          orphanReportAfterMs,
          inMemoryStores,
          sourcePartitions,
          maxHeldChanges,
          live,
          parentIdCacheEntries);
    }

    public Options withOrphanReportAfterMs(long ms) {
      return new Options(
          mapping,
          topics,
          partitions,
          counts,
          ms,
          inMemoryStores,
          sourcePartitions,
          maxHeldChanges,
          live,
          parentIdCacheEntries);
    }

    public Options withInMemoryStores(boolean inMemory) {
      return new Options(
          mapping,
          topics,
          partitions,
          counts,
          orphanReportAfterMs,
          inMemory,
          sourcePartitions,
          maxHeldChanges,
          live,
          parentIdCacheEntries);
    }

    /** The actual partition counts of the source topics, as Kafka describes them. */
    public Options withSourcePartitions(Map<String, Integer> byTopic) {
      return new Options(
          mapping,
          topics,
          partitions,
          counts,
          orphanReportAfterMs,
          inMemoryStores,
          byTopic,
          maxHeldChanges,
          live,
          parentIdCacheEntries);
    }

    /** The converters read their mapping from {@code m}, which may change while running. */
    public Options withLiveMapping(LiveMapping m) {
      return new Options(
          m.mapping(),
          topics,
          partitions,
          counts,
          orphanReportAfterMs,
          inMemoryStores,
          sourcePartitions,
          maxHeldChanges,
          m,
          parentIdCacheEntries);
    }

    /** Each assembler task caches so many parent ids (0: none). */
    public Options withParentIdCacheEntries(int entries) {
      return new Options(
          mapping,
          topics,
          partitions,
          counts,
          orphanReportAfterMs,
          inMemoryStores,
          sourcePartitions,
          maxHeldChanges,
          live,
          entries);
    }

    /** At most so many changes held per table and converter task for schema drift. */
    public Options withMaxHeldChanges(long max) {
      return new Options(
          mapping,
          topics,
          partitions,
          counts,
          orphanReportAfterMs,
          inMemoryStores,
          sourcePartitions,
          max,
          live,
          parentIdCacheEntries);
    }
  }

  /** Builds the topology. */
  public static Topology build(Options options) {
    Mapping mapping = options.mapping();
    Topics topics = options.topics();
    int partitions = options.partitions();
    PendingCounts counts = options.counts();
    long orphanReportAfterMs = options.orphanReportAfterMs();
    boolean inMemory = options.inMemoryStores();
    if (mapping.tables().isEmpty()) {
      throw new IllegalArgumentException("The mapping has no tables: nothing to transform");
    }
    Serde<String> str = Serdes.String();
    Serde<Msg> msgSerde = new InternalSerde<>(Msg.class);
    StreamsBuilder builder = new StreamsBuilder();
    // Cached (statestore.cache.max.bytes): a row's state is written twice per foreign key (the row,
    // then the answer) within one commit interval, and the cache turns that into one store write
    // and one changelog record; reads see the cache first. Flushed before every commit, so a
    // restart restores the same state.
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                store(ROWS_STORE, inMemory), str, new InternalSerde<>(RowState.class))
            .withCachingEnabled());
    builder.addStateStore(
        Stores.keyValueStoreBuilder(store(PARENT_IDS_STORE, inMemory), str, str)
            .withCachingEnabled());
    builder.addStateStore(
        Stores.keyValueStoreBuilder(store(SUBSCRIPTIONS_STORE, inMemory), str, str)
            .withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(store(HELD_STORE, inMemory), str, str));
    int cacheEntries = options.parentIdCacheEntries();
    ParentIdCache idCache = cacheEntries > 0 ? new ParentIdCache(cacheEntries) : null;
    Map<String, String> sourceByTable = new HashMap<>();
    mapping
        .tables()
        .forEach(t -> sourceByTable.put(t.target(), topics.source(t.schema(), t.table())));

    List<String> sources = sourceTopics(mapping, topics);
    Map<String, Integer> sourcePartitions = options.partitionsOfSources();
    // Markers: every converter task sends one to every rows partition; so many reach each
    // assembler task.
    int converterTasks = sourcePartitions.values().stream().mapToInt(i -> i).max().orElse(1);
    KStream<String, Msg> converted =
        builder.stream(sources, Consumed.with(str, str).withName("debezium-source"))
            .process(
                () ->
                    new ConverterProcessor(
                        options.live(),
                        topics,
                        counts,
                        sourcePartitions,
                        partitions,
                        HELD_STORE,
                        options.maxHeldChanges()),
                Named.as("converter"),
                HELD_STORE);
    Map<String, KStream<String, Msg>> split =
        converted
            .split(Named.as("converted-"))
            .branch((k, v) -> v instanceof Msg.Dead, Branched.as("dead"))
            .defaultBranch(Branched.as("rows"));
    split
        .get("converted-dead")
        .mapValues(v -> Json.write(((Msg.Dead) v).dead()), Named.as("dead-to-json"))
        .to(topics.deadLetters(), Produced.with(str, str).withName("dlq-sink"));

    KStream<String, Msg> assembled =
        split
            .get("converted-rows")
            .repartition(
                Repartitioned.<String, Msg>as("rows")
                    .withKeySerde(str)
                    .withValueSerde(msgSerde)
                    .withNumberOfPartitions(partitions)
                    .withStreamPartitioner(Markers.partitioner()))
            .process(
                () ->
                    new Assembler(
                        ROWS_STORE,
                        counts,
                        true,
                        orphanReportAfterMs,
                        sourceByTable,
                        converterTasks,
                        partitions,
                        idCache),
                Named.as("assembler"),
                ROWS_STORE);
    Map<String, KStream<String, Msg>> assembledSplit =
        assembled
            .split(Named.as("assembled-"))
            .branch(
                (k, v) -> v instanceof Msg.Request || v instanceof Msg.Marker,
                Branched.as("requests"))
            .branch((k, v) -> v instanceof Msg.Dead, Branched.as("orphans"))
            .defaultBranch(Branched.as("ops"));
    assembledSplit
        .get("assembled-orphans")
        .mapValues(v -> Json.write(((Msg.Dead) v).dead()), Named.as("orphans-to-json"))
        .to(topics.deadLetters(), Produced.with(str, str).withName("orphans-dlq-sink"));

    KStream<String, Msg> ids =
        builder.stream(topics.ids(), Consumed.with(str, str).withName("ids-source"))
            .mapValues((k, v) -> parseIds(k, v, topics, counts), Named.as("ids-parse"));
    KStream<String, Msg> responses =
        assembledSplit
            .get("assembled-requests")
            .repartition(
                Repartitioned.<String, Msg>as("ref-requests")
                    .withKeySerde(str)
                    .withValueSerde(msgSerde)
                    .withNumberOfPartitions(partitions)
                    .withStreamPartitioner(Markers.partitioner()))
            .merge(ids, Named.as("resolver-input"))
            .process(
                () -> new Resolver(PARENT_IDS_STORE, SUBSCRIPTIONS_STORE, counts, partitions),
                Named.as("resolver"),
                PARENT_IDS_STORE,
                SUBSCRIPTIONS_STORE);
    KStream<String, Msg> answered =
        responses
            .repartition(
                Repartitioned.<String, Msg>as("ref-responses")
                    .withKeySerde(str)
                    .withValueSerde(msgSerde)
                    .withNumberOfPartitions(partitions)
                    .withStreamPartitioner(Markers.partitioner()))
            .process(
                () ->
                    new Assembler(
                        ROWS_STORE,
                        counts,
                        false,
                        0,
                        sourceByTable,
                        partitions,
                        partitions,
                        idCache),
                Named.as("assembler-responses"),
                ROWS_STORE);

    assembledSplit
        .get("assembled-ops")
        .merge(answered, Named.as("ops-merge"))
        .mapValues(v -> Json.write(((Msg.Op) v).op()), Named.as("ops-to-json"))
        .to(
            topics.ops(),
            Produced.with(str, str)
                .withStreamPartitioner(Markers.partitioner())
                .withName("ops-sink"));

    // Added last: the sub-topologies before it keep their ids (0 converter, 1 assemblers, 2
    // resolver), so an upgraded instance finds its tasks' local state where it left it.
    builder.stream(topics.heartbeats(), Consumed.with(str, str).withName(HEARTBEATS_SOURCE))
        .flatMap(
            (k, v) -> Heartbeats.fanOut(v, partitions, topics, counts),
            Named.as("heartbeat-fanout"))
        .to(
            topics.ops(),
            Produced.with(str, str)
                .withStreamPartitioner(Heartbeats.PARTITIONER)
                .withName("heartbeat-ops-sink"));
    return builder.build();
  }

  private static KeyValueBytesStoreSupplier store(String name, boolean inMemory) {
    return inMemory ? Stores.inMemoryKeyValueStore(name) : Stores.persistentKeyValueStore(name);
  }

  /** The source topics of {@code mapping}. */
  public static List<String> sourceTopics(Mapping mapping, Topics topics) {
    return mapping.tables().stream()
        .map((TableMapping t) -> topics.source(t.schema(), t.table()))
        .toList();
  }

  /**
   * An ids record as an update, or null (dropped by the resolver) for one that carries no usable
   * id, counted in {@code pgconvex.transformer.ids.skipped{table,reason}} and warned once.
   */
  static Msg parseIds(String key, String value, Topics topics, PendingCounts counts) {
    if (key == null) {
      counts.idsSkipped(
          "unknown",
          "no_key",
          () ->
              "Ignoring a record of "
                  + topics.ids()
                  + " without a key: its id cannot be matched to a document. Only the sink writes"
                  + " that topic (key = table/key); find what else writes it");
      return null;
    }
    if (value == null) {
      return Msg.of(new IdUpdate(null));
    }
    try {
      var node = Json.parse(value);
      var id = node.get("id");
      return Msg.of(new IdUpdate(id == null || id.isNull() ? null : id.asText()));
    } catch (IllegalArgumentException e) {
      counts.idsSkipped(
          tableOfRef(key),
          "not_json",
          () ->
              "Ignoring a malformed record of "
                  + topics.ids()
                  + " for "
                  + key
                  + " ("
                  + e.getMessage()
                  + "): children of that document wait until the sink writes its id again;"
                  + " re-send the row (update it in Postgres) and find what else writes the topic");
      return null;
    }
  }

  private static String tableOfRef(String ref) {
    int slash = ref.indexOf('/');
    return slash > 0 ? ref.substring(0, slash) : "unknown";
  }
}
