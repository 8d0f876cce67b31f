package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.cli.bench.CaptureOnly;
import dev.pgconvex.cli.bench.InstantConvex;
import dev.pgconvex.cli.bench.LiveHeap;
import dev.pgconvex.cli.bench.Medians;
import dev.pgconvex.cli.bench.Phase;
import dev.pgconvex.cli.bench.StageCpu;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./cdc bench}: end-to-end figures on the embedded stack with the demo tables. First the
 * source alone on a stack of its own ({@link CaptureOnly}, the yardstick for the ratios), then
 * three phases on the whole pipeline with the emulator: snapshot throughput (rows present before
 * start), streaming throughput (rows inserted as fast as Postgres takes them), and
 * commit-to-applied latency at a steady rate, measured per row from the Postgres commit timestamp
 * to the moment the sink saw its mutation succeed.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "End-to-end benchmark: snapshot and streaming throughput, commit-to-applied latency.")
final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--rows",
      defaultValue = "100000",
      description = "Rows for each throughput phase (default: ${DEFAULT-VALUE}).")
  int rows;

  @Option(
      names = "--rate",
      defaultValue = "2000",
      description = "Rows per second in the latency phase (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(
      names = "--no-capture-only",
      negatable = true,
      defaultValue = "true",
      description =
          "Measure the source alone first (Debezium to Kafka, same rows) for the ratios"
              + " (default: on).")
  boolean captureOnly;

  @Option(
      names = "--no-instant-convex",
      negatable = true,
      defaultValue = "true",
      description =
          "Run the pipeline against an instant Convex too (answers at negligible cost: the"
              + " figure is the pipeline's own code) (default: on).")
  boolean instantConvex;

  @Option(
      names = "--runs",
      defaultValue = "1",
      description =
          "Run the configurations this many times, one after the other; every figure is then the"
              + " median of the runs (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--warmup-rows",
      defaultValue = "0",
      description =
          "Before the measured runs, run every configuration once on this many rows, not counted,"
              + " so each is measured with the JIT's code and not the interpreter's; 0 for none"
              + " (default: ${DEFAULT-VALUE}).")
  int warmupRows;

  @Option(
      names = "--latency-seconds",
      defaultValue = "15",
      description = "Length of the latency phase (default: ${DEFAULT-VALUE}).")
  int latencySeconds;

  @Option(
      names = "--json",
      description = "Print the figures as one JSON object on standard output.")
  boolean json;

  @Option(
      names = "--timeout-s",
      defaultValue = "1800",
      description = "Give up after this long per phase (default: ${DEFAULT-VALUE} s).")
  long timeoutSeconds;

  @Option(
      names = "--work-dir",
      defaultValue = ".cdc/bench",
      description = "Data of the embedded servers; wiped at start (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(
      names = "--verify",
      description =
          "Benchmark ./cdc verify instead: rows/s compared and peak heap on --rows demo rows"
              + " mirrored straight into the emulator.")
  boolean verify;

  @Option(
      names = "--verify-runs",
      defaultValue = "3",
      description = "With --verify: verifications to run; medians are reported (default: 3).")
  int verifyRuns;

  @Option(
      names = "--verify-warmup",
      defaultValue = "1",
      description = "With --verify: warm-up verifications first, not counted (default: 1).")
  int verifyWarmup;

  @Option(
      names = "--chunk-rows",
      defaultValue = "1000",
      description = "With --verify: rows per chunk (default: ${DEFAULT-VALUE}).")
  int chunkRows;

  @Option(
      names = "--parallel",
      defaultValue = "2",
      description = "With --verify: chunks compared at the same time (default: ${DEFAULT-VALUE}).")
  int parallel;

  @Option(
      names = "--verify-id-cache",
      defaultValue = "0",
      description =
          "With --verify: parent ids kept across chunks, 0 for none (default: ${DEFAULT-VALUE}).")
  int verifyIdCache;

  @Mixin PipelineOptions options;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    List<String> problems = new ArrayList<>();
    if (rows < 1) {
      problems.add("--rows: must be at least 1, not " + rows);
    }
    if (runs < 1) {
      problems.add("--runs: must be at least 1, not " + runs);
    }
    if (warmupRows < 0) {
      problems.add("--warmup-rows: must be 0 or more, not " + warmupRows);
    }
    if (!problems.isEmpty()) {
      // one line, exit 2: bad input, nothing started
      spec.commandLine().getErr().println("error: " + String.join("; ", problems));
      return 2;
    }
    if (verify) {
      ObjectNode figures =
          new VerifyBench(
                  rows,
                  verifyWarmup,
                  verifyRuns,
                  chunkRows,
                  parallel,
                  verifyIdCache,
                  workDir,
                  BenchCommand::log)
              .run(options);
      System.out.println(
          json
              ? Json.write(figures)
              : Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(figures));
      return 0;
    }
    options.tables.addAll(DemoDatabase.TABLES);
    options.relations.addAll(DemoDatabase.RELATIONS);
    ObjectNode out = Json.NODES.objectNode().put("rows", rows);
    // The configurations one after the other, --runs times: side by side in one window, so the
    // medians compare like with like on a machine whose speed changes with what else runs.
    if (warmupRows > 0) {
      // The first configuration of a JVM otherwise pays for compiling the code every later one
      // uses: without this, capture only and the instant Convex run slower than they are.
      log("warm-up: every configuration once on " + warmupRows + " rows, not counted");
      runConfigurations(warmupRows, false);
      out.put("warmupRows", warmupRows);
    }
    List<ObjectNode> captures = new ArrayList<>();
    List<ObjectNode> instants = new ArrayList<>();
    List<ObjectNode> emulators = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      if (runs > 1) {
        log("run " + i + " of " + runs);
      }
      ObjectNode[] one = runConfigurations(rows, true);
      if (one[0] != null) {
        captures.add(one[0]);
      }
      if (one[1] != null) {
        instants.add(one[1]);
      }
      emulators.add(one[2]);
    }
    ObjectNode capture = captures.isEmpty() ? null : Medians.of(captures);
    ObjectNode instant = instants.isEmpty() ? null : Medians.of(instants);
    ObjectNode emulator = Medians.of(emulators);
    if (capture != null) {
      out.set("captureOnly", capture);
    }
    if (instant != null) {
      out.set("instantConvex", instant);
    }
    out.set("emulator", emulator);
    out.put("runs", runs);
    // The emulator's figures stay where they always were, too.
    for (String f : List.of("snapshot", "streaming", "heap", "latency", "synced", "syncReason")) {
      if (emulator.has(f)) {
        out.set(f, emulator.get(f));
      }
    }
    if (capture != null) {
      ObjectNode ratios = out.putObject("ratios");
      if (instant != null) {
        ratios.put("instantConvexSnapshot", ratio(instant, capture, "snapshot"));
        ratios.put("instantConvexStreaming", ratio(instant, capture, "streaming"));
      }
      ratios.put("emulatorSnapshot", ratio(emulator, capture, "snapshot"));
      ratios.put("emulatorStreaming", ratio(emulator, capture, "streaming"));
    }
    boolean synced =
        emulator.path("synced").asBoolean()
            && (instant == null || instant.path("synced").asBoolean());
    out.put("synced", synced);
    if (json) {
      System.out.println(Json.write(out));
    } else {
      System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    }
    return synced ? 0 : 1;
  }

  /**
   * Every configuration once on {@code n} rows: capture only, the instant Convex (each when
   * enabled, else null) and the emulator, with its latency phase when {@code latency}.
   */
  private ObjectNode[] runConfigurations(int n, boolean latency) throws Exception {
    ObjectNode capture = null;
    ObjectNode instant = null;
    if (captureOnly) {
      capture =
          CaptureOnly.run(
              options.toSettings(workDir.resolve("capture-only"), true, "pgconvex_bench_capture"),
              n,
              timeoutSeconds,
              BenchCommand::log);
    }
    if (instantConvex) {
      try (InstantConvex convex = new InstantConvex()) {
        PipelineSettings settings =
            options
                .toSettings(workDir.resolve("instant-convex"), true, "pgconvex_bench_instant")
                .withConvex(convex.url(), new Secret("instant-convex"));
        instant = Json.NODES.objectNode();
        run(settings, "instant Convex", instant, false, n);
      }
    }
    ObjectNode emulator = Json.NODES.objectNode();
    run(options.toSettings(workDir, true, "pgconvex_bench"), "emulator", emulator, latency, n);
    return new ObjectNode[] {capture, instant, emulator};
  }

  /**
   * One configuration on a stack of its own: the snapshot and streaming phases, with the latency
   * phase when {@code latency}; then the sync check (caught up, then equal by content), whose
   * verdict is part of the figures: a figure of a mirror that diverged is worth nothing.
   */
  private void run(
      PipelineSettings settings, String name, ObjectNode out, boolean latency, int rows)
      throws Exception {
    LatencyRecorder latencies = new LatencyRecorder();
    try (Pipeline pipeline = new Pipeline(settings);
        Connection db = pipelineConnection(pipeline)) {
      DemoDatabase demo = new DemoDatabase(db, 7);
      demo.createSchema();
      demo.load(rows);
      log(name + ", snapshot phase: " + rows + " rows loaded; starting the pipeline");
      long t0 = System.nanoTime();
      StageCpu cpu = Phase.cpu(pipeline);
      cpu.start();
      LiveHeap.resetPeaks();
      LiveHeap live = LiveHeap.start();
      pipeline.startServices();
      pipeline.sink().addAppliedListener(latencies);
      LongSupplier applied = () -> pipeline.progress().applied();
      waitFor(applied, rows, pipeline);
      ObjectNode snapshot = Phase.figures(rows, System.nanoTime() - t0);
      snapshot.set("cpuMicrosPerRow", StageCpu.perRowJson(cpu.stop(), rows));
      out.set("snapshot", snapshot);
      // The whole pipeline's heap in this JVM (broker included) through the snapshot.
      out.putObject("heap")
          .put("peakMiB", LiveHeap.peakUsedBytes() >> 20)
          .put("peakAfterGcMiB", live.stop() >> 20)
          .put("maxMiB", Runtime.getRuntime().maxMemory() >> 20)
          .put("phase", "snapshot");
      log(name + ", streaming phase: inserting " + rows + " rows");
      long t1 = System.nanoTime();
      cpu.start();
      demo.load(rows);
      long inserted = System.nanoTime() - t1;
      waitFor(applied, 2L * rows, pipeline);
      ObjectNode streaming = Phase.figures(rows, System.nanoTime() - t1);
      streaming.put("insertRowsPerSec", Math.round(rows / (inserted / 1e9)));
      // Postgres's share includes writing the rows (the load runs during the phase).
      streaming.set("cpuMicrosPerRow", StageCpu.perRowJson(cpu.stop(), rows));
      out.set("streaming", streaming);
      if (latency) {
        log(name + ", latency phase: " + rate + " rows/s for " + latencySeconds + " s");
        long before = 2L * rows;
        latencies.reset(System.currentTimeMillis());
        int total = steadyLoad(demo, rate, latencySeconds);
        waitFor(applied, before + total, pipeline);
        out.set("latency", latencies.summary(rate, total));
      }
      log(name + ", sync check: comparing Convex with Postgres");
      var sync =
          new dev.pgconvex.cli.verify.SyncWaiter(pipeline)
              .await(
                  java.time.Duration.ofSeconds(300), System.nanoTime(), pipeline.currentWalLsn());
      out.put("synced", sync.synced());
      if (!sync.synced()) {
        out.put("syncReason", sync.reason());
      }
    }
  }

  private static Connection pipelineConnection(Pipeline pipeline) throws Exception {
    pipeline.startInfrastructure();
    return pipeline.connect();
  }

  /**
   * Inserts messages at {@code rate} rows/s in 20 small transactions a second; returns how many.
   */
  private static int steadyLoad(DemoDatabase demo, int rate, int seconds) throws Exception {
    int perTx = Math.max(1, rate / 50);
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) * perTx / rate;
    long next = System.nanoTime();
    long end = next + TimeUnit.SECONDS.toNanos(seconds);
    int total = 0;
    while (System.nanoTime() < end) {
      total += demo.insertMessagesNow(perTx);
      next += intervalNanos;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
    }
    return total;
  }

  private void waitFor(LongSupplier applied, long target, Pipeline pipeline)
      throws InterruptedException {
    Phase.await(pipeline, applied, target, "operations applied", timeoutSeconds);
  }

  /** A configuration's rows/s over capture only's in {@code phase}, two decimals. */
  private static double ratio(ObjectNode config, ObjectNode capture, String phase) {
    double c = capture.get(phase).get("rowsPerSec").asDouble();
    double p = config.get(phase).get("rowsPerSec").asDouble();
    return c <= 0 ? 0 : Math.round(p / c * 100) / 100.0;
  }

  private static void log(String s) {
    System.err.println(s);
  }

  /**
   * Collects commit-to-applied latencies of the operations applied after {@link #reset}.
   * Thread-safe.
   */
  static final class LatencyRecorder implements dev.pgconvex.sink.AppliedListener {
    private long[] values = new long[1 << 16];
    private int size;
    private volatile long sinceMillis = Long.MAX_VALUE;

    synchronized void reset(long sinceMillis) {
      size = 0;
      this.sinceMillis = sinceMillis;
    }

    @Override
    public void applied(long commitTsMillis, long appliedAtMillis) {
      if (commitTsMillis < sinceMillis) {
        return;
      }
      synchronized (this) {
        if (size == values.length) {
          values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = appliedAtMillis - commitTsMillis;
      }
    }

    synchronized ObjectNode summary(int rate, int rows) {
      long[] v = Arrays.copyOf(values, size);
      Arrays.sort(v);
      return Json.NODES
          .objectNode()
          .put("rate", rate)
          .put("rows", rows)
          .put("samples", v.length)
          .put("p50Ms", pct(v, 50))
          .put("p95Ms", pct(v, 95))
          .put("p99Ms", pct(v, 99))
          .put("maxMs", v.length == 0 ? 0 : v[v.length - 1]);
    }

    private static long pct(long[] sorted, int p) {
      if (sorted.length == 0) {
        return 0;
      }
      return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
  }
}
