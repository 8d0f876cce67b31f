package dev.pgconvex.cli.soak;

import dev.pgconvex.cli.pipeline.CatalogMapping;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.operations.lag.ConsumerLag;
import dev.pgconvex.schema.FunctionsFolder;
import dev.pgconvex.soak.Fault;
import dev.pgconvex.soak.FaultProxy;
import dev.pgconvex.soak.RoundPlan;
import dev.pgconvex.soak.RoundPlanner;
import dev.pgconvex.soak.RoundResult;
import dev.pgconvex.soak.SoakLoad;
import dev.pgconvex.soak.SoakReport;
import dev.pgconvex.soak.SoakSchema;
import dev.pgconvex.stack.ConvexEmulatorProcess;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The soak: the embedded Postgres and broker in this JVM, the emulator as its child on a data
 * folder (so it can be killed and come back), a {@link FaultProxy} between the sink and it, and the
 * three stages each in a process of its own; then the planned rounds, each a stretch of mixed load
 * with its faults at the planned moment, a pause, convergence and a comparison by content.
 *
 * <p>Not thread-safe; run once. Every process it starts is stopped by {@link #close()}.
 */
final class SoakRun implements AutoCloseable {
  private static final List<String> STAGES = List.of("source", "transformer", "sink");

  // A dead scale-out instance's partitions move to the survivor after its session ends (static
  // membership keeps them for it until then): 10 s instead of Kafka's 45 s.
  private static final String KAFKA_SESSION_TIMEOUT = "kafka.session.timeout.ms";

  private final SoakSettings s;
  private final PrintStream progress;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final Map<String, List<StageProcess>> instances = new LinkedHashMap<>();
  private final SplittableRandom random;
  private Pipeline pipeline;
  private FaultProxy proxy;
  private ConvexEmulatorProcess emulator;
  private Path functions;
  private Secret adminKey;
  private Mapping mapping;
  private SoakLoad load;
  private MirrorProbe probe;
  private int nextInstance;

  SoakRun(SoakSettings settings, PrintStream progress) {
    this.s = settings;
    this.progress = progress;
    this.random = new SplittableRandom(settings.seed() ^ 0x5DEECE66DL);
  }

  /** Runs every round; the report says whether anything was lost. */
  SoakReport run(String reproduce) throws Exception {
    List<RoundPlan> plan = RoundPlanner.plan(s.rounds(), s.faults(), s.seed());
    start();
    List<RoundResult> results = new ArrayList<>();
    for (RoundPlan r : plan) {
      RoundResult result = round(r);
      results.add(result);
      say(
          "round %d/%d %s: %,d changes, %s in %.1f s%s",
          r.round(),
          plan.size(),
          r.label(),
          result.changes(),
          result.clean() ? "converged, equal" : "NOT EQUAL",
          result.convergeSeconds(),
          result.note() == null ? "" : " (" + result.note() + ")");
    }
    return new SoakReport(s.seed(), results, reproduce);
  }

  private void start() throws Exception {
    Path work = s.workDir().toAbsolutePath();
    adminKey = new Secret(java.util.HexFormat.of().formatHex(randomBytes()));
    proxy = new FaultProxy("http://127.0.0.1:9", s.seed(), Duration.ofMillis(800));
    closeables.add(proxy);
    PipelineSettings ps =
        new PipelineSettings(
            null,
            null,
            null,
            "soak",
            SoakSchema.TABLES,
            SoakSchema.RELATIONS,
            null,
            proxy.url(),
            adminKey,
            null,
            work,
            true,
            Map.of("cdc.topic.prefix", "soak", KAFKA_SESSION_TIMEOUT, "10000"),
            0,
            "public",
            List.of());
    pipeline = new Pipeline(ps);
    closeables.add(pipeline);
    say("starting Postgres and Kafka in %s", work);
    pipeline.startInfrastructure();
    try (Connection c = pipeline.connect()) {
      SoakSchema.create(c);
    }
    load = new SoakLoad(pipeline::connect, s.seed(), s.rowsPerSecond());
    closeables.add(load);
    load.seed(s.seedAccounts());
    try (Connection c = pipeline.connect()) {
      mapping =
          CatalogMapping.read(
              c, SoakSchema.TABLES, SoakSchema.RELATIONS, null, "public", List.of(), Map.of());
    }
    functions = FunctionsFolder.write(mapping, work.resolve("soak-convex"));
    startEmulator(0);
    pipeline.startServices(EnumSet.noneOf(Stage.class));
    probe = new MirrorProbe(pipeline::connect, mapping, emulator.url(), adminKey);
    closeables.add(probe);
    for (String stage : STAGES) {
      addInstance(stage).start();
    }
    say("stages started as their own processes; waiting for the snapshot");
    // Three JVMs start and Streams rebalances first: the snapshot gets at least 5 minutes.
    int snapshotTimeout = Math.max(s.convergeTimeoutSeconds(), 300);
    double t = converge(snapshotTimeout);
    if (t < 0) {
      throw new IllegalStateException(
          "the snapshot did not converge within " + snapshotTimeout + " s" + exits());
    }
    say("snapshot mirrored in %.1f s", t);
  }

  private RoundResult round(RoundPlan r) throws Exception {
    long before = load.changes();
    int kills = 0;
    List<String> notes = new ArrayList<>();
    if (r.has(Fault.CONVEX_ERRORS)) {
      proxy.faultRate(s.faultRate());
    }
    List<StageProcess> extra = new ArrayList<>();
    if (r.has(Fault.SCALE_OUT)) {
      for (String stage : List.of("transformer", "sink")) {
        StageProcess p = addInstance(stage);
        p.start();
        extra.add(p);
      }
    }
    long roundMs = s.roundSeconds() * 1000L;
    long atMs = (long) (roundMs * r.atFraction());
    long t0 = System.nanoTime();
    load.start();
    Thread.sleep(atMs); // the load before the fault
    for (Fault f : r.faults()) {
      kills += inject(f, r);
    }
    long left = roundMs - (System.nanoTime() - t0) / 1_000_000;
    if (left > 0) {
      Thread.sleep(left); // the load after the fault
    }
    load.pause();
    load.settle();
    long changes = load.changes() - before;
    double took = converge(s.convergeTimeoutSeconds());
    String exited = exits();
    if (!exited.isEmpty()) {
      notes.add(exited.substring(2));
      restartExited();
    }
    if (r.has(Fault.PRODUCER_FAILURE) || r.has(Fault.BROKER_RESTART)) {
      notes.add("sink producer retries so far: " + producerRetries());
    }
    long c0 = System.nanoTime();
    MirrorProbe.Differences d = probe.classify();
    say("  compared by content in %.1f s", (System.nanoTime() - c0) / 1e9);
    proxy.faultRate(0);
    if (!d.sample().isEmpty()) {
      notes.add(d.sample());
    }
    if (took < 0) {
      notes.add("did not converge within " + s.convergeTimeoutSeconds() + " s");
    }
    return new RoundResult(
        r.round(),
        r.label(),
        kills,
        changes,
        d.lost(),
        d.duplicated(),
        d.different(),
        d.extra(),
        d.wrongRefs(),
        took < 0 ? s.convergeTimeoutSeconds() : took,
        took >= 0,
        notes.isEmpty() ? null : String.join("; ", notes));
  }

  // Returns the processes it killed.
  private int inject(Fault f, RoundPlan r) throws Exception {
    switch (f) {
      case KILL_SOURCE, KILL_TRANSFORMER, KILL_SINK, KILL_TWO -> {
        List<StageProcess> victims = new ArrayList<>();
        for (String stage : r.stages()) {
          victims.add(live(stage).get(0));
        }
        say(
            "  SIGKILL %s",
            String.join(" and ", victims.stream().map(StageProcess::name).toList()));
        for (StageProcess p : victims) {
          p.kill();
        }
        Thread.sleep(1000); // down a moment, as a crashed pod is before its restart
        for (StageProcess p : victims) {
          p.start();
        }
        return victims.size();
      }
      case SCALE_OUT -> {
        int killed = 0;
        for (String stage : r.stages()) {
          List<StageProcess> l = live(stage);
          StageProcess victim = l.get(random.nextInt(l.size()));
          say("  SIGKILL %s (scale-out: its partitions go to the other instance)", victim.name());
          victim.kill();
          instances.get(stage).remove(victim);
          killed++;
        }
        return killed;
      }
      case BROKER_RESTART -> {
        brokerDown(s.brokerDownSeconds());
        return 0;
      }
      case PRODUCER_FAILURE -> {
        brokerDown(s.producerDownSeconds());
        return 0;
      }
      case POSTGRES_RESTART -> {
        say("  Postgres fast restart");
        pipeline.embeddedPostgres().restart();
        return 0;
      }
      case EMULATOR_RESTART -> {
        say("  SIGKILL the Convex emulator, then start it on its data");
        int port = emulator.port();
        emulator.kill();
        startEmulator(port);
        return 1;
      }
      case CONVEX_ERRORS -> {
        return 0; // on for the whole round, set at its start
      }
      default -> throw new IllegalStateException("no injection for " + f);
    }
  }

  private void brokerDown(int seconds) throws InterruptedException {
    say("  Kafka broker stopped for %d s", seconds);
    pipeline.embeddedKafka().stop();
    Thread.sleep(seconds * 1000L); // the outage itself
    pipeline.embeddedKafka().start();
  }

  private void startEmulator(int port) {
    ConvexEmulatorProcess e =
        ConvexEmulatorProcess.builder()
            .functionsDir(functions)
            .dataDir(s.workDir().toAbsolutePath().resolve("convex-data"))
            .adminKey(adminKey)
            .port(port)
            .build();
    closeables.add(e);
    e.start();
    emulator = e;
    proxy.upstream(e.url());
  }

  // Seconds from now until the mirror equals Postgres and Kafka is drained, or -1 on timeout.
  private double converge(int timeoutSeconds) throws Exception {
    long t0 = System.nanoTime();
    long deadline = t0 + timeoutSeconds * 1_000_000_000L;
    try (ConsumerLag lag = new ConsumerLag(pipeline.kafkaClientProps())) {
      while (System.nanoTime() < deadline) {
        if (drained(lag) && probeInSync()) {
          return (System.nanoTime() - t0) / 1e9;
        }
        Thread.sleep(1000); // poll interval of the convergence check
      }
    }
    return -1;
  }

  private boolean drained(ConsumerLag lag) throws InterruptedException {
    try {
      return lag.drained(pipeline.topics(), mapping);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return false; // the broker busy or restarting: asked again at the next poll
    }
  }

  private boolean probeInSync() {
    try {
      return probe.inSync();
    } catch (Exception e) {
      return false; // Postgres or the emulator restarting
    }
  }

  // pgconvex_sink_producer_retries_total summed over the running sinks (since each one's start).
  private long producerRetries() {
    long n = 0;
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    for (StageProcess p : live("sink")) {
      String url = p.endpoint();
      if (url == null || !p.alive()) {
        continue;
      }
      try {
        String body =
            http.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        for (String line : body.split("\n")) {
          if (line.startsWith("pgconvex_sink_producer_retries_total")) {
            n += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
      } catch (java.io.IOException | RuntimeException e) {
        // a sink that cannot answer: its retries are not counted
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return n;
  }

  private StageProcess addInstance(String stage) throws java.io.IOException {
    String name = stage + "-" + (nextInstance++);
    Map<String, String> props =
        new LinkedHashMap<>(pipeline.properties(Stage.valueOf(stage.toUpperCase(Locale.ROOT))));
    props.put("cdc.instance.id", "soak-" + name);
    props.put("http.port", "0");
    if (stage.equals("sink")) {
      // Kafka gives up on an ids or dead-letter send after 4 s instead of 2 min, so a broker away
      // for longer (producer-failure, broker-restart) makes the sink's own retry of the batch run.
      props.put("kafka.delivery.timeout.ms", "4000");
      props.put("kafka.request.timeout.ms", "3000");
    }
    if (stage.equals("transformer")) {
      props.put(
          "transformer.state.dir",
          s.workDir().toAbsolutePath().resolve("streams-" + name).toString());
    }
    StageProcess p =
        new StageProcess(
            stage,
            name,
            props,
            s.workDir().toAbsolutePath().resolve("stages"),
            List.of(s.stageJvmOptions().trim().split("\\s+")));
    instances.computeIfAbsent(stage, k -> new ArrayList<>()).add(p);
    return p;
  }

  private List<StageProcess> live(String stage) {
    return instances.getOrDefault(stage, List.of());
  }

  // "; sink-2 exited by itself (code 1): ..." for each instance that ended without being killed.
  private String exits() {
    StringBuilder sb = new StringBuilder();
    instances
        .values()
        .forEach(
            l ->
                l.forEach(
                    p -> {
                      String why = p.exitedBecause();
                      if (why != null) {
                        sb.append("; ").append(why);
                      }
                    }));
    return sb.toString();
  }

  private void restartExited() throws java.io.IOException {
    for (List<StageProcess> l : instances.values()) {
      for (StageProcess p : l) {
        if (p.exitedBecause() != null) {
          p.start();
        }
      }
    }
  }

  private byte[] randomBytes() {
    byte[] b = new byte[16];
    new java.security.SecureRandom().nextBytes(b);
    return b;
  }

  private void say(String fmt, Object... args) {
    progress.println("soak: " + String.format(Locale.ROOT, fmt, args));
    progress.flush();
  }

  private boolean closed;

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (List<StageProcess> l : instances.values()) {
      for (StageProcess p : l) {
        try {
          p.stop();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        progress.println(
            "soak: stopping " + closeables.get(i).getClass().getSimpleName() + ": " + e);
      }
    }
  }
}
