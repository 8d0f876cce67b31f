package dev.pgconvex.sink.internals;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * The sink's meters (Prometheus names): {@code pgconvex_sink_ops_applied_total{table}}, {@code
 * pgconvex_sink_ops_skipped_total{table}}, {@code pgconvex_sink_retries_total{reason}}, {@code
 * pgconvex_sink_dead_letters_total}, {@code pgconvex_sink_batch_splits_total}, {@code
 * pgconvex_sink_batch_ops} (summary), {@code pgconvex_sink_batch_latency_seconds} (timer), {@code
 * pgconvex_sink_lag_ms} and {@code pgconvex_sink_send_rate} (gauges). Thread-safe.
 */
public final class SinkMetrics implements ApplyListener {
  private final MeterRegistry registry;
  private final Counter deadLetters;
  private final Counter splits;
  private final DistributionSummary batchOps;
  private final Timer batchLatency;

  public SinkMetrics(MeterRegistry registry, DoubleSupplier lagMs, DoubleSupplier sendRate) {
    this.registry = registry;
    this.deadLetters =
        Counter.builder("pgconvex.sink.dead.letters")
            .description("Ops sent to the dead-letter topic")
            .register(registry);
    this.splits =
        Counter.builder("pgconvex.sink.batch.splits")
            .description("Rejected batches split to isolate a bad op")
            .register(registry);
    this.batchOps =
        DistributionSummary.builder("pgconvex.sink.batch.ops")
            .description("Ops per applyBatch call")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    this.batchLatency =
        Timer.builder("pgconvex.sink.batch.latency")
            .description("Duration of successful applyBatch calls")
            .publishPercentiles(0.5, 0.95, 0.99)
            .register(registry);
    Gauge.builder("pgconvex.sink.lag.ms", lagMs::getAsDouble)
        .description("Now minus the source commit time of the last applied op (0 when idle)")
        .register(registry);
    Gauge.builder("pgconvex.sink.send.rate", sendRate::getAsDouble)
        .description("Permitted concurrent batch mutations (AIMD limit)")
        .register(registry);
  }

  public void applied(String table, long n) {
    registry.counter("pgconvex.sink.ops.applied", "table", table).increment(n);
  }

  public void skipped(String table, long n) {
    registry.counter("pgconvex.sink.ops.skipped", "table", table).increment(n);
  }

  public void deadLettered() {
    deadLetters.increment();
  }

  /** Total ops applied, over all tables. */
  public double appliedTotal() {
    return registry.find("pgconvex.sink.ops.applied").counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  public double skippedTotal() {
    return registry.find("pgconvex.sink.ops.skipped").counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  public double deadLetterTotal() {
    return deadLetters.count();
  }

  @Override
  public void onBatchApplied(int ops, long nanos) {
    batchOps.record(ops);
    batchLatency.record(Duration.ofNanos(nanos).toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void onRetry(String reason) {
    registry.counter("pgconvex.sink.retries", "reason", reason).increment();
  }

  @Override
  public void onSplit() {
    splits.increment();
  }
}
