package dev.pgconvex.cutover;

import dev.pgconvex.cutover.barrier.Marker;
import dev.pgconvex.cutover.barrier.MarkerProgress;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Sends barrier markers and waits for them (in production {@link
 * dev.pgconvex.cutover.barrier.MarkerEmitter} and {@link dev.pgconvex.cutover.barrier.Barrier}).
 */
public interface MarkerPort {
  /** Writes marker {@code id} into the WAL; the marker with its LSN. */
  Marker emit(String id) throws Exception;

  /**
   * Waits until the marker is confirmed on every ops partition, {@code timeout} passed or {@code
   * cancelled}; the last progress read.
   */
  MarkerProgress await(Marker m, Duration timeout, BooleanSupplier cancelled) throws Exception;
}
