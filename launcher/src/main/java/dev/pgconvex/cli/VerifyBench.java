package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
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
 * million rows through the whole pipeline would take most of the time), then verified {@code runs}
 * times; it reports each run's rows/s and peak heap (the JVM's heap pools, reset before each run)
 * and their medians.
 */
final class VerifyBench {
  private final int rows;
  private final int runs;
  private final int chunkRows;
  private final int parallel;
  private final Path workDir;
  private final Consumer<String> log;

  VerifyBench(int rows, int runs, int chunkRows, int parallel, Path workDir, Consumer<String> log) {
    this.rows = rows;
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
            .put("parallel", parallel);
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
            Pipeline.readMapping(
                db,
                DemoDatabase.TABLES,
                DemoDatabase.RELATIONS,
                null,
                "public",
                List.of(),
                java.util.Set.of());
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
        for (int i = 0; i < runs; i++) {
          System.gc();
          List<MemoryPoolMXBean> pools = heapPools();
          pools.forEach(MemoryPoolMXBean::resetPeakUsage);
          MirrorCheck check =
              new MirrorCheck(
                  pipeline::connect,
                  mapping,
                  convex,
                  new MirrorCheck.Options(chunkRows, parallel, Duration.ZERO, null, 1000),
                  MirrorCheck.Progress.NONE);
          VerifyReport r = check.run(List.of());
          long peak = pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
          rates[i] = r.rowsPerSecond();
          heaps[i] = peak;
          all.addObject()
              .put("equal", r.equal())
              .put("rowsCompared", r.rowsCompared())
              .put("elapsedMs", r.elapsedMs())
              .put("rowsPerSecond", r.rowsPerSecond())
              .put("peakHeapBytes", peak);
          log.accept(
              String.format(
                  "run %d: %s, %,d rows in %,d ms = %,d rows/s, peak heap %,d MiB",
                  i + 1,
                  r.equal() ? "equal" : "DIFFERENT",
                  r.rowsCompared(),
                  r.elapsedMs(),
                  r.rowsPerSecond(),
                  peak >> 20));
          if (!r.equal()) {
            throw new IllegalStateException("the bench mirror differs: " + r.toJson());
          }
        }
        out.put("medianRowsPerSecond", median(rates));
        out.put("medianPeakHeapBytes", median(heaps));
        out.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
      }
    }
    return out;
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

  private static List<MemoryPoolMXBean> heapPools() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP)
        .toList();
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
