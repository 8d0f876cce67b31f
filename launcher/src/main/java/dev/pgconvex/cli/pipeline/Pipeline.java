package dev.pgconvex.cli.pipeline;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.ConfigKey;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.observe.ServiceEndpoint;
import dev.pgconvex.common.service.Service;
import dev.pgconvex.dashboard.Dashboard;
import dev.pgconvex.dashboard.DashboardConfig;
import dev.pgconvex.dashboard.DashboardServer;
import dev.pgconvex.operations.alerts.AlertInputs;
import dev.pgconvex.operations.alerts.AlertMonitor;
import dev.pgconvex.operations.alerts.AlertRules;
import dev.pgconvex.operations.alerts.AlertSettings;
import dev.pgconvex.operations.lag.ConsumerLag;
import dev.pgconvex.schema.FunctionsFolder;
import dev.pgconvex.sink.ConvexSink;
import dev.pgconvex.sink.SinkConfig;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.source.CdcSource;
import dev.pgconvex.source.config.KeyColumns;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.stack.ConvexEmulatorProcess;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import dev.pgconvex.stack.EmbeddedStack;
import dev.pgconvex.stack.StackSettings;
import dev.pgconvex.transformer.Transformer;
import dev.pgconvex.transformer.TransformerConfig;
import dev.pgconvex.verify.ContinuousVerifier;
import dev.pgconvex.verify.VerifyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline in one JVM: the embedded servers for every part not given, the mapping from
 * the catalog, the Convex functions folder for the emulator, and the three services (source,
 * transformer, sink) wired through Kafka exactly as when they run as separate deployables.
 *
 * <p>Lifecycle: {@link #startInfrastructure()}, then optionally prepare the database, then {@link
 * #startServices()}; {@link #close()} stops everything in reverse order. Not thread-safe, except
 * {@link #progress()} which may be called from any thread.
 */
public final class Pipeline implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

  /** How long the servers' own shutdown hooks leave the command to close the pipeline first. */
  public static final Duration SHUTDOWN_HOOK_DELAY = Duration.ofSeconds(25);

  private final PipelineSettings settings;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  /**
   * System property that makes the embedded Postgres and Kafka come from Testcontainers (Docker
   * needed).
   */
  public static final String USE_TESTCONTAINERS = "pgconvex.testcontainers";

  private EmbeddedStack stack;
  private ConvexEmulatorProcess emulator;
  private ServiceEndpoint endpoint;
  private String jdbcUrl;
  private String pgUser;
  private Secret pgPassword;
  private String bootstrap;
  private String convexUrl;
  private Secret convexKey;
  private Mapping mapping;
  private CdcSource source;
  private Transformer transformer;
  private ConvexSink sink;
  private ConvexClient convexClient;
  private Topics topics;
  private AlertMonitor alerts;
  private SnapshotSweeper sweeper;
  private ContinuousVerifier continuous;

  public Pipeline(PipelineSettings settings) {
    this.settings = settings;
  }

  /** Starts embedded Postgres and Kafka where none was given, and the metrics endpoint. */
  public void startInfrastructure() throws IOException, SQLException {
    validateOverrides();
    dashboardConfig = parse(DashboardConfig.definition(), settings.overrides());
    String bind = dashboardConfig.getString(DashboardConfig.BIND_ADDRESS);
    String exposed =
        DashboardServer.exposureProblem(
            bind, !dashboardConfig.getSecret(DashboardConfig.TOKEN).isEmpty());
    if (exposed != null) {
      throw new ConfigException(List.of(exposed));
    }
    Path work = settings.workDir().toAbsolutePath();
    if (settings.fresh()) {
      deleteRecursively(work);
    }
    Files.createDirectories(work);
    StackSettings.Builder stackSettings =
        StackSettings.builder()
            .workDir(work)
            // A run resumes where the last one on this work dir stopped: offsets, Streams
            // changelogs and ids live in the broker's data.
            .keepData(!settings.fresh())
            // On Ctrl-C the command closes the pipeline in order; the servers go last.
            .shutdownHookDelay(SHUTDOWN_HOOK_DELAY)
            .useTestcontainers(
                Boolean.getBoolean(USE_TESTCONTAINERS)
                    || "true".equals(System.getenv("PGCONVEX_TESTCONTAINERS")));
    if (settings.pgUrl() != null) {
      stackSettings.externalPostgres(
          settings.pgUrl(),
          settings.pgUser(),
          settings.pgPassword() == null ? new Secret("") : settings.pgPassword());
    }
    if (settings.kafka() != null) {
      stackSettings.externalKafka(settings.kafka());
    }
    stack = new EmbeddedStack(stackSettings.build());
    closeables.add(stack);
    stack.start();
    pgUser = stack.pgUser();
    pgPassword = stack.pgPassword();
    bootstrap = stack.bootstrapServers();
    if (stack.postgres() != null) {
      // the embedded server: the pipeline gets a database of its own
      createDatabaseIfMissing(stack.postgres(), settings.database());
      jdbcUrl = stack.postgres().jdbcUrl(settings.database());
    } else {
      jdbcUrl = stack.jdbcUrl();
    }
    log.info("Postgres at {}, Kafka at {}", jdbcUrl, bootstrap);
    endpoint =
        new ServiceEndpoint(
            dashboardConfig.getString(DashboardConfig.BIND_ADDRESS), settings.httpPort());
    closeables.add(endpoint);
  }

  private Config dashboardConfig;
  private Dashboard dashboard;

  /** Where this pipeline serves its dashboard, {@code http://127.0.0.1:PORT/dashboard/}. */
  public String dashboardUrl() {
    String base = endpoint.url();
    if (endpoint.url().contains("://0.0.0.0:") || endpoint.url().contains("://[::]:")) {
      try {
        // bound to every interface: the name others reach it by
        base =
            "http://" + java.net.InetAddress.getLocalHost().getHostName() + ":" + endpoint.port();
      } catch (java.net.UnknownHostException e) {
        // the bind address then
      }
    }
    return base + Dashboard.PATH + "/";
  }

  /** Whether the dashboard needs a token ({@code dashboard.token}). */
  public boolean dashboardNeedsToken() {
    return dashboardConfig != null && !dashboardConfig.getSecret(DashboardConfig.TOKEN).isEmpty();
  }

  // The page reads this process's own endpoint, as ./cdc dashboard reads deployed ones, and its
  // per-table counts from /tables; readiness as ./cdc cutover --check tells it (without the last
  // verify a cutover recorded in Convex: the background verification's pass stands in for it).
  private void startDashboard(Map<String, String> props) {
    TableCounts counts = new TableCounts(this);
    closeables.add(counts);
    counts.start();
    endpoint.route(dev.pgconvex.dashboard.EndpointReader.TABLES_PATH, counts::json);
    int partitions = parse(CommonConfig.definition(), props).getInt(CommonConfig.TOPIC_PARTITIONS);
    String self = "http://127.0.0.1:" + endpoint.port();
    dashboard =
        new Dashboard(
            new dev.pgconvex.dashboard.EndpointReader(List.of(self)),
            dashboardConfig.getSecret(DashboardConfig.TOKEN),
            dashboardConfig.getLong(DashboardConfig.SAMPLE_INTERVAL_MS),
            chain -> CutoverReadiness.json(chain, partitions));
    closeables.add(dashboard);
    dashboard.install(endpoint::handle);
    dashboard.start();
  }

  /** The dashboard (after {@link #startServices()}). */
  public Dashboard dashboard() {
    return dashboard;
  }

  /** A new connection to the source database; the caller closes it. */
  public Connection connect() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", pgUser);
    p.setProperty("password", pgPassword.reveal());
    p.setProperty("reWriteBatchedInserts", "true");
    return DriverManager.getConnection(jdbcUrl, p);
  }

  /** The source database's {@code pg_current_wal_lsn()}: a position to be caught up to. */
  public long currentWalLsn() throws SQLException {
    try (Connection c = connect();
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return dev.pgconvex.common.model.Position.parseLsn(rs.getString(1));
    }
  }

  /**
   * Reads the mapping (catalog or file), starts the emulator on a generated functions folder when
   * no Convex was given, then starts the three services.
   */
  public void startServices() throws Exception {
    startServices(EnumSet.allOf(Stage.class));
  }

  /**
   * As {@link #startServices()}, but only the stages in {@code inProcess} run in this JVM; the
   * others are left to other processes (started with {@link #properties(Stage)}), as when the
   * stages run as separate deployables.
   */
  public void startServices(Set<Stage> inProcess) throws Exception {
    mapping = readCatalog();
    if (settings.convexUrl() == null) {
      Path functions =
          FunctionsFolder.write(mapping, settings.workDir().toAbsolutePath().resolve("convex"));
      emulator =
          ConvexEmulatorProcess.builder()
              .functionsDir(functions)
              .shutdownHookDelay(SHUTDOWN_HOOK_DELAY)
              .dataDir(
                  settings.fresh()
                      ? null
                      : settings.workDir().toAbsolutePath().resolve("convex-data"))
              .build();
      closeables.add(emulator);
      emulator.start();
      convexUrl = emulator.url();
      convexKey = emulator.adminKey();
    } else {
      convexUrl = settings.convexUrl();
      convexKey = settings.convexAdminKey();
    }
    Map<String, String> props = baseProps();
    topics = Topics.from(parse(CommonConfig.definition(), props));
    List<Service> services = new ArrayList<>();
    if (inProcess.contains(Stage.SOURCE)) {
      source = new CdcSource(parse(Stage.SOURCE.definition(), props), endpoint.registry());
      services.add(source);
    }
    if (inProcess.contains(Stage.TRANSFORMER)) {
      // From the mapping file, which it re-reads: ./cdc schema evolve writes there.
      Map<String, String> tp = new LinkedHashMap<>(props);
      tp.put(TransformerConfig.MAPPING_FILE, writeMappingFile().toString());
      transformer =
          new Transformer(parse(Stage.TRANSFORMER.definition(), tp), endpoint.registry(), null);
      services.add(transformer);
      Transformer t = transformer;
      endpoint.route(Transformer.PENDING_PATH, () -> t.pendingJson(Transformer.PENDING_LIMIT));
    }
    if (inProcess.contains(Stage.SINK)) {
      sink = new ConvexSink(parse(Stage.SINK.definition(), props), endpoint.registry());
      services.add(sink);
    }
    // The source creates its topics, which the transformer subscribes to; the sink comes last.
    for (Service s : services) {
      closeables.add(s);
      endpoint.register(s);
      s.start();
      log.info("Started {}", s.name());
    }
    convexClient =
        new ConvexClient(convexUrl, convexKey, Duration.ofSeconds(60), Duration.ofSeconds(10), 2);
    closeables.add(convexClient);
    ConvexClient cutovers = convexClient;
    String prefix = topics.prefix();
    endpoint.route(
        CUTOVER_PATH,
        () ->
            dev.pgconvex.common.json.Json.NODES
                .objectNode()
                .set(
                    "lastCutover",
                    java.util.Objects.requireNonNullElse(
                        dev.pgconvex.cutover.ConvexCutoverStore.lastCutover(cutovers, prefix),
                        dev.pgconvex.common.json.Json.NODES.nullNode())));
    endpoint.route(
        MIGRATIONS_PATH,
        () -> {
          var o = dev.pgconvex.common.json.Json.NODES.objectNode();
          o.set("migrations", dev.pgconvex.cli.evolve.MigrationRecords.newest(cutovers, prefix));
          return o;
        });
    startAlerts(props, inProcess);
    startDashboard(props);
    writeDiscoveryFile();
    if (inProcess.containsAll(EnumSet.allOf(Stage.class))) {
      SnapshotSweeper sweeper = new SnapshotSweeper(this);
      this.sweeper = sweeper;
      closeables.add(sweeper);
      sweeper.start();
      Config verify = parse(VerifyConfig.definition(), props);
      if (verify.getBoolean(VerifyConfig.CONTINUOUS_ENABLED)) {
        continuous =
            new ContinuousVerifier(
                verify, this::connect, this::mapping, convexClient, endpoint.registry());
        closeables.add(continuous);
        continuous.start();
        ContinuousVerifier v = continuous;
        endpoint.route(VERIFY_PATH, v::status);
      }
    }
  }

  /** Where the background verification's status is served as JSON, when it runs here. */
  public static final String VERIFY_PATH = "/verify";

  /**
   * Where this pipeline serves its last cutover ({@code {"lastCutover": <cdc_cutovers row> |
   * null}}, read from Convex on each request), for {@code ./cdc status}.
   */
  public static final String CUTOVER_PATH = "/cutover";

  /** Where the steps of the newest schema evolution ({@code cdc_migrations}) are served as JSON. */
  public static final String MIGRATIONS_PATH = "/migrations";

  /** Where the alerts of this pipeline and the consumer lag it read are served as JSON. */
  public static final String ALERTS_PATH = dev.pgconvex.operations.alerts.AlertMonitor.PATH;

  // The rules watch the stages running here (one missing is down) and Kafka's consumer lag of
  // every stage, wherever it runs.
  private void startAlerts(Map<String, String> props, Set<Stage> inProcess) {
    AlertSettings alertSettings = AlertSettings.from(parse(AlertRules.definition(), props));
    Set<String> expected =
        inProcess.stream()
            .map(s -> s.name().toLowerCase(java.util.Locale.ROOT))
            .collect(Collectors.toSet());
    ConsumerLag lagReader = new ConsumerLag(kafkaClientProps());
    closeables.add(lagReader);
    alerts =
        new AlertMonitor(
            alertSettings,
            topics.prefix(),
            () -> alertInputs(expected, lagReader),
            endpoint.registry());
    closeables.add(alerts);
    alerts.start();
    AlertMonitor a = alerts;
    endpoint.route(ALERTS_PATH, () -> Map.of("firing", a.firing(), "consumerLag", a.consumerLag()));
  }

  private final Map<Stage, String> watched = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Watches a stage that runs elsewhere, through its HTTP endpoint ({@code GET /status}): its
   * alerts are evaluated here too, and while its endpoint does not answer it counts as down.
   */
  public void watch(Stage stage, String endpointUrl) {
    watched.put(stage, endpointUrl);
  }

  private AlertInputs alertInputs(Set<String> inProcess, ConsumerLag lagReader) {
    Map<String, dev.pgconvex.common.status.StageStatus> stages = new LinkedHashMap<>();
    services().forEach(s -> s.status().ifPresent(st -> stages.put(st.stage(), st)));
    Set<String> expected = new java.util.HashSet<>(inProcess);
    watched.forEach(
        (stage, url) -> {
          String name = stage.name().toLowerCase(java.util.Locale.ROOT);
          expected.add(name);
          var read =
              new dev.pgconvex.operations.StatusProbe(
                      List.of(url),
                      new dev.pgconvex.operations.ChainEvaluator(
                          dev.pgconvex.operations.Thresholds.DEFAULTS))
                  .readStages();
          var st = read.stages().get(name);
          if (st != null) {
            stages.put(name, st);
          }
        });
    List<dev.pgconvex.operations.lag.GroupLag> lag;
    try {
      lag = lagReader.pipeline(topics, mapping);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lag = List.of();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.debug("Consumer lag not read: {}", e.toString());
      lag = List.of(); // Kafka away: the stages' own alerts say so
    }
    ContinuousVerifier v = continuous;
    return new AlertInputs(
        stages, expected, lag, System.currentTimeMillis(), v == null ? null : v.status());
  }

  /** The alert monitor (after {@link #startServices()}). */
  public AlertMonitor alerts() {
    return alerts;
  }

  /**
   * A stage's configuration as properties, for running it in its own process ({@code --config
   * FILE}). Holds secrets: write it only where the password may live.
   */
  public Map<String, String> properties(Stage stage) {
    Map<String, String> all = baseProps();
    if (stage == Stage.TRANSFORMER) {
      all.put(TransformerConfig.MAPPING_FILE, writeMappingFile().toString());
    }
    return keysOf(stage.definition(), all);
  }

  /**
   * The keys of {@code all} a stage of {@code def} takes: the ones it declares, its {@code *.file}
   * variants, and the client pass-through keys ({@code kafka.*}, {@code debezium.*}), which no
   * stage declares but every one hands to its clients (security settings, timeouts). One rule for
   * the stages run here and the ones run elsewhere: a stage started from {@link #properties(Stage)}
   * once lost the pass-through keys (found by the soak: its {@code kafka.session.timeout.ms} never
   * reached the stages; {@code kafka.security.protocol} would not have either).
   */
  static Map<String, String> keysOf(ConfigDef def, Map<String, String> all) {
    Set<String> declared = def.keys().stream().map(ConfigKey::name).collect(Collectors.toSet());
    Map<String, String> mine = new LinkedHashMap<>();
    all.forEach(
        (k, v) -> {
          if (declared.contains(k)
              || k.startsWith("kafka.")
              || k.startsWith("debezium.")
              || (k.endsWith(".file") && declared.contains(k.substring(0, k.length() - 5)))) {
            mine.put(k, v);
          }
        });
    return mine;
  }

  /** The pipeline's stages. */
  public enum Stage {
    SOURCE,
    TRANSFORMER,
    SINK;

    ConfigDef definition() {
      return switch (this) {
        case SOURCE -> SourceConfig.definition();
        case TRANSFORMER -> TransformerConfig.definition();
        case SINK -> SinkConfig.definition();
      };
    }
  }

  /** The services running in this process (stages run elsewhere are absent). */
  public List<Service> services() {
    return Stream.of(source, transformer, sink)
        .filter(java.util.Objects::nonNull)
        .map(Service.class::cast)
        .toList();
  }

  private Mapping readCatalog() throws SQLException {
    try (Connection c = connect()) {
      return CatalogMapping.read(
          c,
          settings.tables(),
          settings.relations(),
          settings.mappingFile(),
          settings.schema(),
          settings.excludeTables(),
          configuredKeys());
    }
  }

  // Key columns of tables without a primary key given with --set source.key.columns (already
  // checked by validateOverrides); the mapping file's come through the file.
  private Map<String, List<String>> configuredKeys() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    KeyColumns.parse(settings.overrides().get(SourceConfig.KEY_COLUMNS))
        .asMap()
        .forEach((t, cols) -> out.put(t.toString(), cols));
    return out;
  }

  private Map<String, String> baseProps() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(CommonConfig.KAFKA_BOOTSTRAP_SERVERS, bootstrap);
    p.put(SourceConfig.PG_JDBC_URL, jdbcUrl);
    p.put(SourceConfig.PG_USER, pgUser);
    p.put(SourceConfig.PG_PASSWORD, pgPassword.reveal());
    p.put(
        SourceConfig.TABLES,
        mapping.tables().stream().map(t -> t.qualifiedName()).collect(Collectors.joining(",")));
    p.put(
        TransformerConfig.STATE_DIR,
        settings.workDir().toAbsolutePath().resolve("streams").toString());
    p.put(SinkConfig.CONVEX_URL, convexUrl);
    p.put(SinkConfig.CONVEX_ADMIN_KEY, convexKey.reveal());
    if (!settings.fresh()) {
      // One work dir is one pipeline: the same instance id after a crash takes the partitions
      // back at once (static membership) instead of waiting out the dead member's session.
      p.put(CommonConfig.INSTANCE_ID, instanceId(settings.workDir()));
    }
    p.putAll(settings.overrides());
    String keys = mapping.sourceKeyColumns();
    if (!keys.isEmpty()) {
      // the source keys its events by the columns the mapping keys its documents by, whether
      // they came from the mapping file or from --set (the mapping holds both)
      p.put(SourceConfig.KEY_COLUMNS, keys);
    }
    return p;
  }

  /**
   * The transformer's mapping file, {@code convex/pgconvex.mapping.json} in the work dir (beside
   * the functions folder when the emulator runs here), which the transformer re-reads and {@code
   * ./cdc schema evolve} rewrites; written with the mapping read at start unless it holds it.
   */
  private Path writeMappingFile() {
    Path file =
        settings.workDir().toAbsolutePath().resolve("convex").resolve("pgconvex.mapping.json");
    try {
      if (!Files.exists(file) || !Mapping.read(file).equals(mapping)) {
        mapping.write(file);
      }
    } catch (RuntimeException e) {
      mapping.write(file);
    }
    return file;
  }

  /** Keeps the keys {@code def} declares (plus client pass-through keys) and parses them. */
  private static Config parse(ConfigDef def, Map<String, String> all) {
    return def.parse(keysOf(def, all));
  }

  // Every problem with the user's keys is reported at once, before anything starts: unknown keys
  // (typos),
  // wrong types and out-of-range values, whichever service declares them.
  private void validateOverrides() {
    Map<String, ConfigKey> known = new HashMap<>();
    Stream.of(
            SourceConfig.definition(),
            TransformerConfig.definition(),
            SinkConfig.definition(),
            AlertRules.definition(),
            VerifyConfig.definition(),
            DashboardConfig.definition())
        .flatMap(d -> d.keys().stream())
        .forEach(k -> known.putIfAbsent(k.name(), k));
    List<String> problems = new ArrayList<>();
    settings
        .overrides()
        .forEach(
            (k, v) -> {
              ConfigKey key = known.get(k);
              if (key == null) {
                if (!k.startsWith("kafka.") && !k.startsWith("debezium.")) {
                  problems.add(k + ": unknown configuration key (see docs/configuration.md)");
                }
                return;
              }
              try {
                new ConfigDef()
                    .define(
                        key.name(),
                        key.type(),
                        key.defaultValue(),
                        key.validator(),
                        key.importance(),
                        key.doc())
                    .parse(Map.of(k, v), name -> null);
              } catch (ConfigException e) {
                problems.addAll(e.problems());
              }
            });
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  /**
   * Sweeps of the mirror after a snapshot done so far (0 when the stages do not all run here), for
   * tests that must not race one.
   */
  public int snapshotSweeps() {
    return sweeper == null ? 0 : sweeper.sweeps();
  }

  /** The background verification, or null when {@code verify.continuous.enabled} is off. */
  public ContinuousVerifier continuousVerifier() {
    return continuous;
  }

  /** Topic names in use (after {@link #startServices()}). */
  public Topics topics() {
    return topics;
  }

  public Mapping mapping() {
    Transformer t = transformer;
    return t != null ? t.mapping() : mapping;
  }

  public ConvexClient convex() {
    return convexClient;
  }

  public CdcSource source() {
    return source;
  }

  public Transformer transformer() {
    return transformer;
  }

  public ConvexSink sink() {
    return sink;
  }

  /** The work dir (embedded servers' data, Streams state, the discovery file). */
  public Path workDir() {
    return settings.workDir().toAbsolutePath();
  }

  public String jdbcUrl() {
    return jdbcUrl;
  }

  /**
   * Properties for a Kafka client of this pipeline: the bootstrap servers and the {@code kafka.*}
   * keys given with {@code --set} (security settings included). A new, mutable map.
   */
  public Map<String, Object> kafkaClientProps() {
    return dev.pgconvex.common.kafka.KafkaClients.props(
        bootstrap, dev.pgconvex.common.kafka.KafkaClients.passThrough(settings.overrides()));
  }

  public String bootstrapServers() {
    return bootstrap;
  }

  public String convexUrl() {
    return convexUrl;
  }

  /** The admin key the pipeline uses for Convex (a secret: show it only for a local emulator). */
  public Secret convexAdminKey() {
    return convexKey;
  }

  public ServiceEndpoint endpoint() {
    return endpoint;
  }

  /** The embedded Kafka broker (in this JVM), or null when external. */
  public dev.pgconvex.stack.EmbeddedKafkaBroker embeddedKafka() {
    return stack == null ? null : stack.kafka();
  }

  /** The emulator's process id, or -1 when there is none (yet, or a Convex given by URL). */
  public long emulatorPid() {
    ConvexEmulatorProcess e = emulator;
    return e == null ? -1 : e.pid();
  }

  /** The embedded Postgres server, or null when external. */
  public EmbeddedPostgresServer embeddedPostgres() {
    return stack == null ? null : stack.postgres();
  }

  /** Live figures for progress lines and the JSON summary; callable from any thread. */
  public Progress progress() {
    // Typed accessors of the stages running here; a stage elsewhere contributes 0.
    long captured = source == null ? 0 : source.changesCaptured();
    long applied = sink == null ? 0 : sink.opsApplied();
    long skipped = sink == null ? 0 : sink.opsSkipped();
    ConvexSink s = sink;
    java.util.OptionalLong lag = s == null ? java.util.OptionalLong.empty() : s.endToEndLagMs();
    long pending = transformer == null ? 0 : transformer.pendingRows();
    AlertMonitor a = alerts;
    List<String> firing = a == null ? List.of() : a.firing().stream().map(f -> f.alert()).toList();
    return new Progress(captured, applied, skipped, pending, lag, firing);
  }

  /**
   * Figures of a running pipeline.
   *
   * @param captured row changes read from Postgres (snapshot reads, inserts, updates, deletes,
   *     tombstones) and in Kafka
   * @param applied operations Convex applied: one per change, plus a patch per reference resolved
   *     after its row (so it can run ahead of {@code captured})
   * @param skipped operations Convex skipped as older than what it holds (replays, duplicates)
   * @param pendingRows rows held for a parent's id
   * @param lagMs end-to-end lag ({@link ConvexSink#endToEndLagMs()}): now minus the commit time of
   *     the newest change known applied in Convex, a row or a heartbeat; empty while unknown (the
   *     sink runs elsewhere, or has nothing applied on a partition yet)
   * @param alertsFiring the names of the alerts firing now (docs/alerts.md)
   */
  public record Progress(
      long captured,
      long applied,
      long skipped,
      long pendingRows,
      java.util.OptionalLong lagMs,
      List<String> alertsFiring) {
    /** {@code none}, or the firing alerts' names. */
    public String alertsText() {
      return alertsFiring.isEmpty() ? "none" : String.join(", ", alertsFiring);
    }

    /** The lag for a progress line: {@code 1,234 ms}, or {@code unknown}. */
    public String lagText() {
      return lagMs.isPresent()
          ? String.format(java.util.Locale.ROOT, "%,d ms", lagMs.getAsLong())
          : "unknown";
    }
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        log.warn(
            "Error while stopping {}: {}",
            closeables.get(i).getClass().getSimpleName(),
            e.toString());
      }
    }
    closeables.clear();
  }

  /** The file in the work dir that tells {@code ./cdc status} where this pipeline answers. */
  public static final String DISCOVERY_FILE = "pipeline.json";

  // {"endpoint","pid","prefix"[,"kafka"]}: no secrets. Removed when the pipeline closes; a stale
  // one (the
  // process died) is recognised by its pid.
  private void writeDiscoveryFile() throws IOException {
    Path file = settings.workDir().toAbsolutePath().resolve(DISCOVERY_FILE);
    var json =
        dev.pgconvex.common.json.Json.NODES
            .objectNode()
            .put("endpoint", endpoint.url())
            .put("pid", ProcessHandle.current().pid())
            .put("prefix", topics.prefix());
    if (settings.kafka() == null) {
      // the embedded broker's address, for ./cdc dlq and ./cdc replay while this pipeline runs
      json.put("kafka", bootstrap);
    }
    Files.writeString(file, dev.pgconvex.common.json.Json.write(json));
    closeables.add(() -> Files.deleteIfExists(file));
  }

  /** A stable instance id for the pipeline that lives in {@code workDir}. */
  static String instanceId(Path workDir) {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  workDir
                      .toAbsolutePath()
                      .normalize()
                      .toString()
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "local-" + java.util.HexFormat.of().formatHex(digest, 0, 6);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  private static void createDatabaseIfMissing(EmbeddedPostgresServer pg, String name)
      throws SQLException {
    try (Connection c = pg.connect("postgres");
        var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, name);
      try (var rs = ps.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
    }
    pg.createDatabase(name);
  }

  /** Deletes {@code dir} and everything below it; nothing when it does not exist. */
  public static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
