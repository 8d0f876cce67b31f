package dev.pgconvex.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.common.json.Json;
import java.sql.Connection;
import java.util.EnumSet;
import java.util.function.Consumer;

/**
 * The capture-only configuration of {@code ./cdc bench}: the source alone (Debezium Embedded to
 * Kafka, offsets after Kafka's acknowledgement), on a stack of its own, with the same demo rows
 * (the same seed) as the whole pipeline. A phase ends when the source has had every row
 * acknowledged by Kafka; it is what the pipeline is compared with.
 */
public final class CaptureOnly {
  private CaptureOnly() {}

  /**
   * Runs the snapshot and streaming phases for {@code rows} rows each.
   *
   * @return {@code {snapshot: {rows, elapsedMs, rowsPerSec, cpuMicrosPerRow}, streaming: ...}}
   */
  public static ObjectNode run(
      PipelineSettings settings, int rows, long timeoutSeconds, Consumer<String> log)
      throws Exception {
    ObjectNode out = Json.NODES.objectNode();
    try (Pipeline pipeline = new Pipeline(settings)) {
      pipeline.startInfrastructure();
      try (Connection db = pipeline.connect()) {
        DemoDatabase demo = new DemoDatabase(db, 7);
        demo.createSchema();
        demo.load(rows);
        log.accept("capture only, snapshot phase: " + rows + " rows loaded; starting the source");
        StageCpu cpu = Phase.cpu(pipeline);
        long t0 = System.nanoTime();
        cpu.start();
        pipeline.startServices(EnumSet.of(Pipeline.Stage.SOURCE));
        awaitCaptured(pipeline, rows, timeoutSeconds);
        out.set("snapshot", phase(rows, System.nanoTime() - t0, cpu));
        log.accept("capture only, streaming phase: inserting " + rows + " rows");
        long t1 = System.nanoTime();
        cpu.start();
        demo.load(rows);
        awaitCaptured(pipeline, 2L * rows, timeoutSeconds);
        out.set("streaming", phase(rows, System.nanoTime() - t1, cpu));
      }
    }
    return out;
  }

  private static ObjectNode phase(long rows, long nanos, StageCpu cpu) {
    ObjectNode o = Phase.figures(rows, nanos);
    o.set("cpuMicrosPerRow", StageCpu.perRowJson(cpu.stop(), rows));
    return o;
  }

  // Row changes acknowledged by Kafka; the demo rows are all inserts, one change each.
  private static void awaitCaptured(Pipeline pipeline, long target, long timeoutSeconds)
      throws InterruptedException {
    Phase.await(
        pipeline, () -> pipeline.progress().captured(), target, "changes captured", timeoutSeconds);
  }
}
