package dev.pgconvex.sink.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class SinkMetricsTest {
  @Test
  void prometheusNamesAreTheDocumentedOnes() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    SinkMetrics m = new SinkMetrics(registry, () -> 42, () -> 7.5, () -> 1234);
    m.applied("threads", 3);
    m.skipped("threads", 1);
    m.deadLettered("threads", "rejected", () -> "threads/[1] rejected; fix the row");
    m.idSkipped("threads", () -> "threads/[2] applied without an id; redeploy");
    m.onRetry("rate_limited");
    m.onSplit();
    m.onBatchApplied(3, 5_000_000);
    m.heartbeats(4);

    String text = registry.scrape();

    assertThat(text)
        .contains("pgconvex_sink_ops_applied_total{table=\"threads\"} 3.0")
        .contains("pgconvex_sink_ops_skipped_total{table=\"threads\"} 1.0")
        .contains("pgconvex_sink_retries_total{reason=\"rate_limited\"} 1.0")
        .contains("pgconvex_sink_dead_letters_total{reason=\"rejected\",table=\"threads\"} 1.0")
        .contains("pgconvex_sink_ids_skipped_total{reason=\"no_id\",table=\"threads\"} 1.0")
        .contains("pgconvex_sink_batch_splits_total 1.0")
        .contains("pgconvex_sink_batch_ops_count 1")
        .contains("pgconvex_sink_batch_latency_seconds_count 1")
        .contains("pgconvex_sink_lag_ms 42.0")
        .contains("pgconvex_sink_inflight_limit 7.5")
        .contains("pgconvex_sink_end_to_end_lag_ms 1234.0")
        .contains("pgconvex_sink_heartbeats_total 4.0");
    assertThat(m.appliedTotal()).isEqualTo(3);
    assertThat(m.skippedTotal()).isEqualTo(1);
    assertThat(m.deadLetterTotal()).isEqualTo(1);
    assertThat(m.appliedTotal()).as("heartbeats are not rows").isEqualTo(3);
    registry.close();
  }

  @Test
  void anUnknownEndToEndLagIsNaNNotZero() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new SinkMetrics(registry, () -> 0, () -> 1, () -> Double.NaN);

    assertThat(registry.scrape()).contains("pgconvex_sink_end_to_end_lag_ms NaN");
    registry.close();
  }
}
