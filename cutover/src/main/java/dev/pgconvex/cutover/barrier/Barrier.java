package dev.pgconvex.cutover.barrier;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.sink.http.ConvexClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Reads how far a {@link Marker} got, from what the sink confirmed in Convex ({@code
 * cdc/markers:markerStatus}). Stateless apart from the client; thread-safe.
 */
public final class Barrier {
  /** The query (docs/contracts.md, "Markers"). */
  public static final String STATUS = "cdc/markers:markerStatus";

  private final ConvexClient convex;
  private final int partitions;

  /**
   * @param convex a client of the deployment the sink writes to
   * @param partitions ops partitions ({@code cdc.topic.partitions})
   */
  public Barrier(ConvexClient convex, int partitions) {
    this.convex = convex;
    this.partitions = partitions;
  }

  /** The confirmations so far. */
  public MarkerProgress progress(Marker m) {
    JsonNode rows =
        convex.query(
            STATUS, Json.NODES.objectNode().put("pipeline", m.pipeline()).put("marker", m.id()));
    Map<Integer, Confirmation> byPartition = new HashMap<>();
    for (JsonNode r : rows) {
      int p = r.path("partition").asInt();
      byPartition.put(
          p,
          new Confirmation(
              p,
              r.path("held").asLong(),
              r.path("sourceAt").asLong(),
              r.path("transformerAt").asLong(),
              r.path("appliedAt").asLong()));
    }
    return new MarkerProgress(m, partitions, byPartition);
  }

  /**
   * Polls {@link #progress} every {@code poll} until complete, {@code timeout} passed, or {@code
   * cancelled} says so.
   *
   * @return the last progress read (complete or not)
   * @throws InterruptedException when interrupted while waiting (the interrupt is kept cleared, as
   *     usual for this exception)
   */
  public MarkerProgress await(Marker m, Duration timeout, Duration poll, BooleanSupplier cancelled)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    MarkerProgress p = progress(m);
    while (!p.complete() && !cancelled.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(
          Math.max(1, Math.min(poll.toMillis(), (deadline - System.nanoTime()) / 1_000_000)));
      p = progress(m);
    }
    return p;
  }
}
