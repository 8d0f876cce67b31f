package dev.pgconvex.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.cli.UserFacingException;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.common.json.Json;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** What every phase of {@code ./cdc bench} shares: waiting for it to end, and its figures. */
public final class Phase {
  private Phase() {}

  /**
   * Waits until {@code done} reaches {@code target}; fails with one line when the time is up or a
   * running stage is down.
   *
   * @param what what {@code done} counts, for the message ("operations applied")
   */
  public static void await(
      Pipeline pipeline, LongSupplier done, long target, String what, long timeoutSeconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (done.getAsLong() < target) {
      if (System.nanoTime() > deadline) {
        throw new UserFacingException(
            "bench timed out: "
                + done.getAsLong()
                + " of "
                + target
                + " "
                + what
                + " after "
                + timeoutSeconds
                + " s");
      }
      for (var s : pipeline.services()) {
        if (!s.health().up()) {
          throw new UserFacingException(
              "bench failed: " + s.name() + " is down: " + s.health().detail());
        }
      }
      Thread.sleep(20);
    }
  }

  /** {@code {rows, elapsedMs, rowsPerSec}} of a phase of {@code rows} rows. */
  public static ObjectNode figures(long rows, long nanos) {
    return Json.NODES
        .objectNode()
        .put("rows", rows)
        .put("elapsedMs", nanos / 1_000_000)
        .put("rowsPerSec", Math.round(rows / (nanos / 1e9)));
  }

  /** The CPU meter of a pipeline's stages, its Postgres and its emulator. */
  public static StageCpu cpu(Pipeline pipeline) {
    return new StageCpu(
        ProcessCpu.postmasterPid(pipeline.embeddedPostgres().dataDirectory()),
        pipeline::emulatorPid);
  }
}
