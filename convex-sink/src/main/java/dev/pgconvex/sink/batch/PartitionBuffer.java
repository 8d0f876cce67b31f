package dev.pgconvex.sink.batch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The consumed, not yet dispatched ops of one partition, in offset order, and the rule that makes a
 * batch of them: ready when it holds {@code maxOps} ops or {@code maxBytes} of op JSON, or when its
 * oldest op waited {@code linger}. Not thread-safe: used by the consumer thread only.
 */
public final class PartitionBuffer {
  private final ArrayDeque<PendingOp> ops = new ArrayDeque<>();
  private long bytes;
  private long oldestNanos;

  public void add(PendingOp op, long nowNanos) {
    if (ops.isEmpty()) {
      oldestNanos = nowNanos;
    }
    ops.add(op);
    bytes += op.sizeBytes();
  }

  public int size() {
    return ops.size();
  }

  public long bytes() {
    return bytes;
  }

  public boolean isEmpty() {
    return ops.isEmpty();
  }

  /** True when a batch should be sent now. */
  public boolean ready(int maxOps, long maxBytes, long lingerNanos, long nowNanos) {
    return !ops.isEmpty()
        && (ops.size() >= maxOps || bytes >= maxBytes || nowNanos - oldestNanos >= lingerNanos);
  }

  /**
   * Removes and returns the next batch: at most {@code maxOps} ops and {@code maxBytes} bytes, but
   * always at least one op (an op larger than {@code maxBytes} travels alone; Convex then rejects
   * it and it is dead-lettered).
   */
  public List<PendingOp> drain(int maxOps, long maxBytes, long nowNanos) {
    List<PendingOp> batch = new ArrayList<>(Math.min(maxOps, ops.size()));
    long size = 0;
    while (!ops.isEmpty() && batch.size() < maxOps) {
      PendingOp next = ops.peek();
      if (!batch.isEmpty() && size + next.sizeBytes() > maxBytes) {
        break;
      }
      batch.add(ops.poll());
      size += next.sizeBytes();
    }
    bytes -= size;
    oldestNanos = nowNanos;
    return batch;
  }

  public void clear() {
    ops.clear();
    bytes = 0;
  }
}
