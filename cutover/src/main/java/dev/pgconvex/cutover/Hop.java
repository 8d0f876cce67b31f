package dev.pgconvex.cutover;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.cutover.barrier.Confirmation;
import dev.pgconvex.cutover.barrier.MarkerProgress;

/**
 * Where the marker's time went, on its slowest partition per hop (wall clocks of the hosts
 * involved, so a few ms of clock skew show up here).
 *
 * @param toSourceMs emitted in Postgres to written into Kafka by the source
 * @param toTransformerMs source to forwarded by the transformer
 * @param toAppliedMs transformer to confirmed by the sink in Convex
 * @param totalMs emitted to confirmed on the last partition
 */
public record Hop(long toSourceMs, long toTransformerMs, long toAppliedMs, long totalMs) {
  /** From a complete progress; null when not complete. */
  public static Hop of(MarkerProgress p) {
    if (!p.complete()) {
      return null;
    }
    long emitted = p.marker().emittedAtMs();
    long source = p.lastAt(Confirmation::sourceAtMs).orElse(emitted);
    long transformer = p.lastAt(Confirmation::transformerAtMs).orElse(source);
    long applied = p.lastAt(Confirmation::appliedAtMs).orElse(transformer);
    return new Hop(
        source - emitted, transformer - source, applied - transformer, applied - emitted);
  }

  /** {@code {source, transformer, sink, total}} in ms. */
  public ObjectNode toJson() {
    return Json.NODES
        .objectNode()
        .put("sourceMs", toSourceMs)
        .put("transformerMs", toTransformerMs)
        .put("sinkMs", toAppliedMs)
        .put("totalMs", totalMs);
  }

  /** {@code source 40 ms, transformer 120 ms, sink 80 ms (240 ms)}. */
  public String describe() {
    return "source "
        + toSourceMs
        + " ms, transformer "
        + toTransformerMs
        + " ms, sink "
        + toAppliedMs
        + " ms ("
        + totalMs
        + " ms)";
  }
}
