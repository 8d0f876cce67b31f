package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.cli.bench.LiveHeap;
import dev.pgconvex.cli.bench.ProcessCpu;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.schema.FunctionsFolder;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.stack.ConvexEmulatorProcess;
import dev.pgconvex.verify.MirrorCheck;
import dev.pgconvex.verify.MirrorVerifier;
import dev.pgconvex.verify.VerifyReport;
import java.lang.management.MemoryPoolMXBean;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code ./cdc bench --verify}: how fast {@code ./cdc verify} compares, and how much heap it needs,
 * on the demo tables in the embedded Postgres and the Convex emulator. The mirror is written
 * straight through {@code cdc/ingest:applyBatch} from the rows (not through Kafka: loading a
 * million rows through the whole pipeline would take most of the time), then verified {@code
 * warmup} times (the JIT's, not counted) and {@code runs} times; it reports each run's rows/s, peak
 * heap used and peak heap after a collection (the live data at its highest), and the medians.
 */
final class VerifyBench {
  private final int rows;
  private final int runs;
  private final int warmup;
  private final int idCache;
  private final int chunkRows;
  private final int parallel;
  private final Path workDir;
  private final Consumer<String> log;

  VerifyBench(
      int rows,
      int warmup,
      int runs,
      int chunkRows,
      int parallel,
      int idCache,
      Path workDir,
      Consumer<String> log) {
    this.idCache = idCache;
    this.rows = rows;
    this.warmup = warmup;
    this.runs = runs;
    this.chunkRows = chunkRows;
    this.parallel = parallel;
    this.workDir = workDir;
    this.log = log;
  }

  ObjectNode run(PipelineOptions options) throws Exception {
    ObjectNode out =
        Json.NODES
            .objectNode()
            .put("rows", rows)
            .put("chunkRows", chunkRows)
            .put("parallel", parallel)
            .put("idCacheEntries", idCache);
    try (Pipeline pipeline =
        new Pipeline(options.toSettings(workDir, true, "pgconvex_verify_bench"))) {
      pipeline.startInfrastructure();
      Mapping mapping;
      try (Connection db = pipeline.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 11);
        demo.createSchema();
        long t0 = System.nanoTime();
        demo.load(rows);
        log.accept(String.format("loaded %,d rows into Postgres in %d ms", rows, ms(t0)));
        mapping =
            dev.pgconvex.cli.pipeline.CatalogMapping.read(
                db,
                DemoDatabase.TABLES,
                DemoDatabase.RELATIONS,
                null,
                "public",
                List.of(),
                java.util.Map.of());
      }
      Path functions = FunctionsFolder.write(mapping, pipeline.workDir().resolve("convex"));
      try (ConvexEmulatorProcess emulator =
              ConvexEmulatorProcess.builder().functionsDir(functions).build();
          ConvexClient convex = startClient(emulator)) {
        long t0 = System.nanoTime();
        mirror(pipeline, mapping, convex);
        log.accept(String.format("mirrored %,d rows into Convex in %d ms", rows, ms(t0)));
        ArrayNode all = out.putArray("runs");
        long[] rates = new long[runs];
        long[] heaps = new long[runs];
        long[][] cpu = new long[3][runs];
        long pgPid = ProcessCpu.postmasterPid(pipeline.embeddedPostgres().dataDirectory());
        for (int i = -warmup; i < runs; i++) {
          System.gc();
          List<MemoryPoolMXBean> pools = LiveHeap.heapPools();
          pools.forEach(MemoryPoolMXBean::resetPeakUsage);
          LiveHeap live = LiveHeap.start();
          MirrorCheck check =
              new MirrorCheck(
                  pipeline::connect,
                  mapping,
                  convex,
                  new MirrorCheck.Options(chunkRows, parallel, Duration.ZERO, null, 1000, idCache),
                  MirrorCheck.Progress.NONE);
          long[] cpu0 = {
            ProcessCpu.jvmNanos(), ProcessCpu.treeNanos(emulator.pid()), ProcessCpu.treeNanos(pgPid)
          };
          VerifyReport r = check.run(List.of());
          long[] perRow = {
            perRow(ProcessCpu.jvmNanos(), cpu0[0], r.rowsCompared()),
            perRow(ProcessCpu.treeNanos(emulator.pid()), cpu0[1], r.rowsCompared()),
            perRow(ProcessCpu.treeNanos(pgPid), cpu0[2], r.rowsCompared())
          };
          long peak = pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
          long peakLive = live.stop();
          if (i >= 0) {
            rates[i] = r.rowsPerSecond();
            heaps[i] = peakLive;
            for (int k = 0; k < 3; k++) {
              cpu[k][i] = perRow[k];
            }
          }
          all.addObject()
              .put("warmup", i < 0)
              .put("equal", r.equal())
              .put("rowsCompared", r.rowsCompared())
              .put("elapsedMs", r.elapsedMs())
              .put("rowsPerSecond", r.rowsPerSecond())
              .put("peakHeapBytes", peak)
              .put("peakHeapAfterGcBytes", peakLive)
              .set("cpuMicrosPerRow", cpuJson(perRow));
          log.accept(
              String.format(
                  "%s %d: %s, %,d rows in %,d ms = %,d rows/s, peak heap %,d MiB, after GC %,d"
                      + " MiB, CPU per row: verifier JVM %.1f us, emulator %.1f us, Postgres %.1f"
                      + " us",
                  i < 0 ? "warm-up" : "run",
                  i < 0 ? i + warmup + 1 : i + 1,
                  r.equal() ? "equal" : "DIFFERENT",
                  r.rowsCompared(),
                  r.elapsedMs(),
                  r.rowsPerSecond(),
                  peak >> 20,
                  peakLive >> 20,
                  perRow[0] / 1000.0,
                  perRow[1] / 1000.0,
                  perRow[2] / 1000.0));
          if (!r.equal()) {
            throw new IllegalStateException("the bench mirror differs: " + r.toJson());
          }
        }
        out.put("medianRowsPerSecond", median(rates));
        out.put("medianPeakHeapAfterGcBytes", median(heaps));
        out.set(
            "medianCpuMicrosPerRow",
            cpuJson(new long[] {median(cpu[0]), median(cpu[1]), median(cpu[2])}));
        out.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        out.set("smallHeapCommand", smallHeapRun(pipeline, emulator));
      }
    }
    return out;
  }

  /**
   * The real command in a JVM of its own with a small heap ({@code -Xmx64m}): memory per chunk, not
   * per table, means it gets through any table size within it.
   */
  private ObjectNode smallHeapRun(Pipeline pipeline, ConvexEmulatorProcess emulator)
      throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path mapping = pipeline.workDir().resolve("convex").resolve("pgconvex.mapping.json");
    ProcessBuilder pb =
        new ProcessBuilder(
            javaBin,
            "-Xmx64m",
            "-cp",
            System.getProperty("java.class.path"),
            Cdc.class.getName(),
            "verify",
            "--pg-url",
            pipeline.jdbcUrl(),
            "--pg-user",
            pipeline.embeddedPostgres().user(),
            "--mapping",
            mapping.toString(),
            "--convex-url",
            emulator.url(),
            "--settle-timeout-s",
            "0",
            "--chunk-rows",
            String.valueOf(chunkRows),
            "--parallel",
            String.valueOf(parallel),
            "--json");
    pb.environment().put("PG_PASSWORD", pipeline.embeddedPostgres().password().reveal());
    pb.environment().put("CONVEX_ADMIN_KEY", emulator.adminKey().reveal());
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    long t0 = System.nanoTime();
    Process proc = pb.start();
    String stdout =
        new String(proc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    int code = proc.waitFor();
    long wall = ms(t0);
    ObjectNode o = Json.NODES.objectNode().put("heap", "-Xmx64m").put("exitCode", code);
    o.put("wallMs", wall);
    if (code == 0) {
      var j = Json.parse(stdout);
      o.put("rowsPerSecond", j.get("rowsPerSecond").asLong());
    }
    log.accept(
        String.format("./cdc verify in its own JVM with -Xmx64m: exit %d, %s", code, o.toString()));
    return o;
  }

  private static ConvexClient startClient(ConvexEmulatorProcess emulator) {
    emulator.start();
    return new ConvexClient(
        emulator.url(), emulator.adminKey(), Duration.ofSeconds(120), Duration.ofSeconds(10), 4);
  }

  // Parents first, so every reference is the id of a document already written. The ids map is the
  // bench's own (the verifier keeps no such state).
  private void mirror(Pipeline pipeline, Mapping mapping, ConvexClient convex) throws Exception {
    Map<String, Map<String, String>> ids = new HashMap<>();
    List<String> order = List.of("users", "threads", "messages");
    try (Connection c = pipeline.connect()) {
      c.setAutoCommit(false);
      for (String target : order) {
        TableMapping t = mapping.byTarget(target).orElseThrow();
        // only parents' ids are needed (messages are nobody's parent)
        Map<String, String> mine = target.equals("messages") ? null : new HashMap<>();
        ids.put(target, mine);
        try (Statement st = c.createStatement()) {
          st.setFetchSize(1000);
          try (ResultSet rs = st.executeQuery("SELECT * FROM " + MirrorVerifier.qualified(t))) {
            List<String> keys = new ArrayList<>();
            ArrayNode ops = Json.NODES.arrayNode();
            while (rs.next()) {
              String key = MirrorVerifier.sourceKey(rs, t);
              ObjectNode doc = MirrorVerifier.columnsDoc(t, rs);
              MirrorVerifier.parentKeys(t, rs)
                  .forEach((f, ref) -> doc.put(f, ids.get(ref.parentTable()).get(ref.parentKey())));
              ops.addObject()
                  .put("table", target)
                  .put("key", key)
                  .put("op", "upsert")
                  .put("position", Position.of(1, 0))
                  .set("doc", doc);
              keys.add(key);
              if (ops.size() == 500) {
                flush(convex, ops, keys, mine);
              }
            }
            flush(convex, ops, keys, mine);
          }
        }
        c.commit();
      }
    }
  }

  private static void flush(
      ConvexClient convex, ArrayNode ops, List<String> keys, Map<String, String> ids) {
    if (ops.isEmpty()) {
      return;
    }
    ObjectNode args = Json.NODES.objectNode();
    args.set("ops", ops.deepCopy());
    var results = convex.mutation("cdc/ingest:applyBatch", args).get("results");
    for (int i = 0; ids != null && i < keys.size(); i++) {
      ids.put(keys.get(i), results.get(i).get("id").asText());
    }
    ops.removeAll();
    keys.clear();
  }

  /** CPU nanoseconds per row between two readings, or -1 when either is unknown. */
  private static long perRow(long after, long before, long rows) {
    return after < 0 || before < 0 || rows == 0 ? -1 : (after - before) / rows;
  }

  /**
   * Nanoseconds per row as microseconds with one decimal: the verifier's JVM (every thread: it also
   * hosts the embedded broker, idle here), the emulator's node process, Postgres (postmaster and
   * backends).
   */
  private static ObjectNode cpuJson(long[] nanosPerRow) {
    ObjectNode o = Json.NODES.objectNode();
    String[] names = {"verifier", "emulator", "postgres"};
    for (int k = 0; k < 3; k++) {
      o.put(names[k], nanosPerRow[k] < 0 ? -1 : Math.round(nanosPerRow[k] / 100.0) / 10.0);
    }
    return o;
  }

  private static long median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
