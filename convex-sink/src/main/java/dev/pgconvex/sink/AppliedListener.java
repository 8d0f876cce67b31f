package dev.pgconvex.sink;

/**
 * Told about every op the sink applied (status {@code applied}; skipped and dead-lettered ops are
 * not reported), once its batch is committed in Convex and its ids are acknowledged by Kafka, just
 * before the offsets are committed. For latency measurements (commit to applied).
 *
 * <p>Called on the sink's worker threads, concurrently: implementations must be thread-safe and
 * fast, and must not throw (an exception is logged and ignored).
 */
@FunctionalInterface
public interface AppliedListener {
  /**
   * @param commitTsMillis the op's source commit time, epoch ms
   * @param appliedAtMillis when the sink saw it applied, epoch ms
   */
  void applied(long commitTsMillis, long appliedAtMillis);
}
