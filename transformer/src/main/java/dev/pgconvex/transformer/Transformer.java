package dev.pgconvex.transformer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.kafka.KafkaClients;
import dev.pgconvex.common.kafka.TopicBootstrap;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.service.Service;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.transformer.convert.LiveMapping;
import dev.pgconvex.transformer.convert.MappingFileWatch;
import dev.pgconvex.transformer.internals.PendingCounts;
import dev.pgconvex.transformer.internals.RowState;
import dev.pgconvex.transformer.resolve.OrphanReport;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transformer service: runs {@link TransformerTopology} in Kafka Streams, turning Debezium
 * change events into Convex operations with foreign keys resolved to Convex ids.
 *
 * <p>Lifecycle: construct, {@link #start()} once, {@link #close()} (idempotent, any thread). {@link
 * #health()}, {@link #pendingRows()}, {@link #pendingRefs()}, {@link #pendingRowList(int)} and
 * {@link #pendingJson(int)} may be called from any thread.
 *
 * <p>Meters (in the registry given): {@code pgconvex.transformer.pending.rows{table}} (rows held
 * for a required parent), {@code pgconvex.transformer.pending.refs} (requests waiting for a
 * parent's id), {@code pgconvex.transformer.orphans.reported{table}} (rows reported to the
 * dead-letter topic after {@code transformer.orphan.report.after.ms}; Prometheus {@code
 * pgconvex_transformer_orphans_reported_total}), {@code
 * pgconvex.transformer.dead.letters{table,reason}} (conversion failures and orphan reports, each
 * (table, reason) warned once), {@code pgconvex.transformer.stale.changes{table}} (replayed changes
 * older than the row's state), {@code pgconvex.transformer.ids.skipped{table,reason}} (unusable ids
 * records), {@code pgconvex.transformer.topic.mismatches{table,kind}} (1 per table found at start
 * whose topic is never read, or was never created by the source: {@link TopicCheck}) and Kafka
 * Streams' own metrics. docs/skip-points.md lists them.
 */
public final class Transformer implements Service {
  /**
   * Path of the HTTP route that lists held rows ({@link #pendingJson(int)}); {@code ./cdc pending}.
   */
  public static final String PENDING_PATH = "/pending";

  /** How many held rows the {@link #PENDING_PATH} route lists at most. */
  public static final int PENDING_LIMIT = 1000;

  private static final Logger LOG = LoggerFactory.getLogger(Transformer.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration WAIT_NOTICE = Duration.ofSeconds(5);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final Config config;
  private final MeterRegistry registry;
  private final PendingCounts counts;
  private volatile Mapping mapping;
  private volatile KafkaStreams streams;
  private volatile MappingFileWatch watcher;
  private volatile LiveMapping live;
  private volatile KafkaStreamsMetrics streamsMetrics;
  private volatile boolean closed;
  private volatile LastError lastError;
  // completed when Kafka Streams stops: normally after close(), exceptionally on ERROR
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();

  /**
   * @param config parsed with {@link TransformerConfig#definition()}
   * @param registry where meters go; not owned (not closed here)
   * @param mapping the mapping, or null to read it from {@code transformer.mapping.file} at start
   */
  public Transformer(Config config, MeterRegistry registry, Mapping mapping) {
    this.config = Objects.requireNonNull(config, "config");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.counts = new PendingCounts(registry);
    this.mapping = mapping;
  }

  @Override
  public String name() {
    return "transformer";
  }

  /**
   * Loads and checks the mapping, creates the pipeline topics and the mapped tables' Debezium
   * topics ({@code cdc.topic.partitions} partitions) when missing, and starts Kafka Streams;
   * returns once it runs (or after 60 s of rebalancing/restoring, logging a warning).
   *
   * @throws ConfigException when the mapping is missing or inconsistent (every problem listed)
   * @throws IllegalStateException when started twice or when Kafka cannot be reached
   */
  @Override
  public synchronized void start() {
    if (streams != null || closed) {
      throw new IllegalStateException("Transformer already started or closed");
    }
    Mapping m = loadMapping();
    this.mapping = m;
    LiveMapping live = new LiveMapping(m);
    this.live = live;
    Topics topics = Topics.from(config);
    TopicBootstrap.ensure(config);
    int partitions = config.getInt(CommonConfig.TOPIC_PARTITIONS);
    Map<String, Integer> sourcePartitions = ensureSourceTopics(m, topics, partitions);
    KafkaStreams ks =
        new KafkaStreams(
            TransformerTopology.build(
                TransformerTopology.Options.of(m, topics, partitions)
                    .withSourcePartitions(sourcePartitions)
                    .withCounts(counts)
                    .withOrphanReportAfterMs(
                        config.getLong(TransformerConfig.ORPHAN_REPORT_AFTER_MS))
                    .withMaxHeldChanges(config.getLong(TransformerConfig.MAX_HELD_CHANGES))
                    .withParentIdCacheEntries(
                        config.getInt(TransformerConfig.PARENT_ID_CACHE_ENTRIES))
                    .withLiveMapping(live)),
            TransformerConfig.streamsProperties(config));
    ks.setUncaughtExceptionHandler(
        e -> {
          LOG.error("Transformer stream thread failed; stopping the transformer", e);
          lastError = new LastError("stream thread failed: " + e, System.currentTimeMillis());
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    registerMeters(m);
    streamsMetrics = new KafkaStreamsMetrics(ks);
    streamsMetrics.bindTo(registry);
    streams = ks;
    // A state listener, not polling: RUNNING (or a failure) releases the wait at once.
    CountDownLatch settled = new CountDownLatch(1);
    ks.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING || !now.isRunningOrRebalancing()) {
            settled.countDown();
          }
          if (now == KafkaStreams.State.ERROR) {
            LastError e = lastError;
            terminated.completeExceptionally(
                new IllegalStateException(
                    e == null ? "Kafka Streams stopped with an error" : e.message()));
          } else if (now == KafkaStreams.State.NOT_RUNNING) {
            terminated.complete(null);
          }
          if (now == KafkaStreams.State.REBALANCING && before == KafkaStreams.State.RUNNING) {
            LOG.info("Transformer rebalancing: the group's tasks are being reassigned");
          }
        });
    ks.start();
    startMappingWatch(live);
    long t0 = System.nanoTime();
    try {
      // Say what it waits for: after a crash of this instance without a stable cdc.instance.id,
      // Kafka waits out the dead member's session (session.timeout.ms) before assigning tasks.
      while (!settled.await(WAIT_NOTICE.toMillis(), TimeUnit.MILLISECONDS)) {
        long waited = (System.nanoTime() - t0) / 1_000_000_000L;
        if (waited >= START_TIMEOUT.toSeconds()) {
          break;
        }
        LOG.info(
            "Transformer waiting {} s for Kafka to assign its tasks (group {}, state {}); after a"
                + " crash without cdc.instance.id the dead member's session ({} ms) runs out"
                + " first",
            waited,
            topics.transformerAppId(),
            ks.state(),
            sessionTimeoutMs());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while starting the transformer", e);
    }
    if (!ks.state().isRunningOrRebalancing()) {
      throw new IllegalStateException("Kafka Streams stopped while starting: " + ks.state());
    }
    if (ks.state() != KafkaStreams.State.RUNNING) {
      LOG.warn("Transformer not running after {}; state {}", START_TIMEOUT, ks.state());
    }
    LOG.info(
        "Transformer started: {} tables, {} partitions, application.id {}",
        m.tables().size(),
        partitions,
        topics.transformerAppId());
  }

  // Re-reads the mapping file: ./cdc schema evolve writes a widened or narrowed mapping there once
  // the matching Convex schema is deployed, and the held tables go on without a restart.
  private void startMappingWatch(LiveMapping live) {
    long every = config.getLong(TransformerConfig.MAPPING_RELOAD_INTERVAL_MS);
    String file = config.getString(TransformerConfig.MAPPING_FILE);
    if (every <= 0 || file.isBlank()) {
      return;
    }
    watcher = new MappingFileWatch(Path.of(file), live, this::checked);
    watcher.start(Duration.ofMillis(every));
  }

  private String sessionTimeoutMs() {
    Object v = TransformerConfig.streamsProperties(config).get("session.timeout.ms");
    return v == null ? "45000" : v.toString();
  }

  /**
   * Creates missing Debezium topics of mapped tables: Kafka Streams stops with a fatal error when a
   * source topic is missing, and Debezium creates a table's topic only with its first event. First
   * warns about the tables the topics show the mapping and the source disagree on ({@link
   * TopicCheck}).
   *
   * @return the partitions of each source topic, which markers are aligned over
   */
  private Map<String, Integer> ensureSourceTopics(Mapping m, Topics topics, int partitions) {
    short rf = (short) config.getInt(CommonConfig.TOPIC_REPLICATION_FACTOR);
    List<String> sources = TransformerTopology.sourceTopics(m, topics);
    try (Admin admin = Admin.create(KafkaClients.props(config))) {
      checkTopics(admin, m, topics);
      TopicBootstrap.ensure(
          admin, sources.stream().map(t -> new NewTopic(t, partitions, rf)).toList());
      Map<String, Integer> out = new HashMap<>();
      admin
          .describeTopics(sources)
          .allTopicNames()
          .get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .forEach((name, d) -> out.put(name, d.partitions().size()));
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while describing the source topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Kafka did not describe the source topics; check " + CommonConfig.KAFKA_BOOTSTRAP_SERVERS,
          e);
    }
  }

  private void checkTopics(Admin admin, Mapping m, Topics topics) {
    Set<String> existing;
    try {
      existing = admin.listTopics().names().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while listing Kafka topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Kafka did not list its topics; check " + CommonConfig.KAFKA_BOOTSTRAP_SERVERS, e);
    }
    for (TopicCheck.Mismatch x : TopicCheck.find(existing, m, topics)) {
      LOG.warn("{}", x.message());
      // Present once per table for as long as this instance runs: sum() > 0 means a table the
      // mapping and source.tables disagree on.
      Gauge.builder("pgconvex.transformer.topic.mismatches", () -> 1)
          .tag("table", x.table())
          .tag("kind", x.kind())
          .description(
              "Tables found at start whose topic the transformer never reads (unmapped) or that the"
                  + " source never created (uncaptured)")
          .register(registry);
    }
  }

  private Mapping loadMapping() {
    Mapping m = mapping;
    if (m == null) {
      String file = config.getString(TransformerConfig.MAPPING_FILE);
      if (file.isBlank()) {
        throw new ConfigException(
            TransformerConfig.MAPPING_FILE + ": required, no value given (the mapping JSON file)");
      }
      Path path = Path.of(file);
      if (!Files.isReadable(path)) {
        throw new ConfigException(
            TransformerConfig.MAPPING_FILE + ": cannot read " + file + "; give a readable file");
      }
      try {
        m = Mapping.read(path);
      } catch (RuntimeException e) {
        throw new ConfigException(
            TransformerConfig.MAPPING_FILE
                + ": "
                + file
                + " is not a valid mapping: "
                + e.getMessage());
      }
    }
    return checked(m);
  }

  /** {@code m}, or a ConfigException naming every problem in it. */
  private Mapping checked(Mapping m) {
    List<String> problems = new ArrayList<>();
    if (m.tables().isEmpty()) {
      problems.add("mapping: no tables to mirror");
    }
    for (TableMapping t : m.tables()) {
      if (t.primaryKey().isEmpty()) {
        problems.add("mapping: table " + t.qualifiedName() + " has no primary key columns");
      }
      for (RelationMapping r : t.relations()) {
        if (m.byTarget(r.parentTable()).isEmpty()) {
          problems.add(
              "mapping: relation "
                  + t.target()
                  + "."
                  + r.field()
                  + " points to table "
                  + r.parentTable()
                  + ", which is not mapped; map it or drop the relation");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return m;
  }

  private void registerMeters(Mapping m) {
    Gauge.builder(
            "pgconvex.transformer.held.changes.bound",
            config,
            c -> c.getLong(TransformerConfig.MAX_HELD_CHANGES))
        .description(
            "transformer.schema.drift.max.held.changes: changes held per table and converter task"
                + " for schema drift at most; beyond it they are dead-lettered")
        .register(registry);
    for (TableMapping t : m.tables()) {
      counts.registerHeld(t.qualifiedName());
      Gauge.builder("pgconvex.transformer.pending.rows", counts, c -> c.pendingRows(t.target()))
          .tag("table", t.target())
          .description("Rows held until a required parent's Convex id is known")
          .register(registry);
    }
    for (TableMapping t : m.tables()) {
      Gauge.builder(
              "pgconvex.transformer.unmapped.columns", counts, c -> c.unmappedColumns(t.target()))
          .tag("table", t.target())
          .description(
              "Columns seen in change events that the mapping does not know (schema drift): not"
                  + " written to Convex until the mapping and the deployed schema are regenerated")
          .register(registry);
    }
    Gauge.builder(
            "pgconvex.transformer.pending.oldest.age.ms",
            counts,
            c -> {
              java.util.OptionalLong since = c.oldestHeldSinceMs();
              return since.isPresent()
                  ? Math.max(0, System.currentTimeMillis() - since.getAsLong())
                  : 0;
            })
        .description(
            "How long the longest-held row has waited for its parent (0 when none is held), as of"
                + " the last orphan check")
        .register(registry);
    Gauge.builder("pgconvex.transformer.pending.refs", counts, PendingCounts::pendingRefs)
        .description("Foreign-key requests waiting for the parent's Convex id")
        .register(registry);
    for (TableMapping t : m.tables()) {
      if (!t.relations().isEmpty()) {
        FunctionCounter.builder(
                "pgconvex.transformer.orphans.reported", counts, c -> c.orphansReported(t.target()))
            .tag("table", t.target())
            .description(
                "Rows reported to the dead-letter topic after waiting "
                    + TransformerConfig.ORPHAN_REPORT_AFTER_MS
                    + " for a parent")
            .register(registry);
      }
    }
  }

  @Override
  public Health health() {
    KafkaStreams ks = streams;
    if (ks == null) {
      return Health.down(closed ? "closed" : "not started");
    }
    KafkaStreams.State s = ks.state();
    boolean up = s.isRunningOrRebalancing();
    return new Health(up, "kafka streams " + s + ", pending rows " + counts.pendingRows());
  }

  /** The transformer's typed status ({@code GET /status}); never blocks. */
  @Override
  public Optional<StageStatus> status() {
    KafkaStreams ks = streams;
    Health h = health();
    String streamsState = ks == null ? (closed ? "CLOSED" : "NOT_STARTED") : ks.state().name();
    StageState state;
    if (closed) {
      state = StageState.STOPPED;
    } else if (ks == null) {
      state = StageState.STARTING;
    } else if (ks.state() == KafkaStreams.State.RUNNING) {
      state = StageState.RUNNING;
    } else if (ks.state().isRunningOrRebalancing()) {
      state = StageState.STARTING;
    } else {
      state = StageState.FAILED;
    }
    return Optional.of(
        new TransformerStatus(
            state,
            h.detail(),
            lastError,
            streamsState,
            counts.pendingRows(),
            oldestPendingAgeMs(),
            counts.deadLetters(),
            counts.heldTables().stream()
                .map(
                    t ->
                        new TransformerStatus.Held(
                            t.table(),
                            t.changes(),
                            t.sincePosition(),
                            t.sinceMs(),
                            t.reason(),
                            config.getLong(TransformerConfig.MAX_HELD_CHANGES)))
                .toList()));
  }

  private Long oldestPendingAgeMs() {
    java.util.OptionalLong since = counts.oldestHeldSinceMs();
    return since.isPresent() ? Math.max(0, System.currentTimeMillis() - since.getAsLong()) : null;
  }

  /** Rows held on this instance until a required parent's id is known. */
  public long pendingRows() {
    return counts.pendingRows();
  }

  /** Foreign-key requests waiting on this instance for a parent's id. */
  public long pendingRefs() {
    return counts.pendingRefs();
  }

  /**
   * The rows held on this instance with the parents they wait for, read from the local {@code rows}
   * store (interactive query), in key order per task.
   *
   * @param limit at most this many rows
   * @throws IllegalStateException when the store cannot be queried now (not started, rebalancing)
   */
  public List<PendingRow> pendingRowList(int limit) {
    KafkaStreams ks = streams;
    if (ks == null) {
      throw new IllegalStateException("Transformer not started");
    }
    ReadOnlyKeyValueStore<String, RowState> store =
        ks.store(
            StoreQueryParameters.fromNameAndType(
                TransformerTopology.ROWS_STORE,
                QueryableStoreTypes.<String, RowState>keyValueStore()));
    return pendingRows(store, limit);
  }

  /** The held rows of {@code store}, at most {@code limit}. */
  static List<PendingRow> pendingRows(ReadOnlyKeyValueStore<String, RowState> store, int limit) {
    List<PendingRow> out = new ArrayList<>();
    try (KeyValueIterator<String, RowState> it = store.all()) {
      while (it.hasNext() && out.size() < limit) {
        KeyValue<String, RowState> kv = it.next();
        if (!kv.value.emitted()) {
          out.add(OrphanReport.pendingRow(kv.key, kv.value));
        }
      }
    }
    return out;
  }

  /**
   * The body of the {@code /pending} route: {@code {"pendingRows": N, "pendingRefs": M, "rows":
   * [{table, key, position, missing: [{field, parentTable, parentKey}]}...]}}, counts of this
   * instance and at most {@code limit} of its held rows ({@link #pendingRowList(int)}). Before the
   * start or while the store cannot be queried, {@code rows} is empty and {@code "rowsUnavailable"}
   * says why. Any thread.
   *
   * @param limit at most this many rows, at least 0
   */
  public ObjectNode pendingJson(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    ObjectNode o = Json.NODES.objectNode();
    o.put("pendingRows", pendingRows());
    o.put("pendingRefs", pendingRefs());
    // Tables held for schema drift: ./cdc pending lists them beside the rows held for a parent.
    o.set(
        "heldTables",
        Json.MAPPER.valueToTree(
            status().map(s -> ((TransformerStatus) s).heldTables()).orElse(List.of())));
    var rows = o.putArray("rows");
    try {
      pendingRowList(limit).forEach(r -> rows.add(r.toJson()));
    } catch (IllegalStateException | InvalidStateStoreException e) {
      o.put("rowsUnavailable", String.valueOf(e.getMessage()));
    }
    return o;
  }

  /**
   * The mapping in use (after {@link #start()}: the one last taken from {@code
   * transformer.mapping.file}), or the one given.
   */
  public Mapping mapping() {
    LiveMapping l = live;
    return l != null ? l.mapping() : mapping;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    MappingFileWatch w = watcher;
    if (w != null) {
      w.close();
    }
    KafkaStreams ks = streams;
    streams = null;
    if (ks != null) {
      // Leave the group so a restarted or remaining instance takes the tasks over at once instead
      // of after the session timeout.
      ks.close(
          CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
              .withTimeout(CLOSE_TIMEOUT));
    }
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
    terminated.complete(null);
  }

  /**
   * Blocks until the transformer stops: after {@link #close()} (returns null), or when Kafka
   * Streams stopped on an error such as a failed stream thread (returns that failure), so a process
   * running it can exit and be restarted.
   */
  public Throwable awaitTermination() throws InterruptedException {
    try {
      terminated.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
