package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.observe.ServiceEndpoint;
import dev.pgconvex.sink.ConvexSink;
import dev.pgconvex.sink.SinkConfig;
import dev.pgconvex.transformer.Transformer;
import dev.pgconvex.transformer.TransformerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End-to-end lag is measured, not inferred: with the database idle the source's heartbeats travel
 * the whole chain, so the lag stays low; with the transformer stopped it grows without bound, and
 * falls once a transformer runs again; a sink started meanwhile reports it too. Source and sink run
 * in the pipeline, the transformer as its own object (as when the stages are separate deployables).
 */
@Timeout(480)
class EndToEndLagIT {
  private static final Logger log = LoggerFactory.getLogger(EndToEndLagIT.class);

  /** Heartbeat interval of the test: a short one, so the bounds below are short too. */
  private static final long HEARTBEAT_MS = 500;

  /**
   * Heartbeat interval plus one batch is well under a second here; the bound leaves room for a
   * slow, shared machine.
   */
  private static final long BOUND_MS = 5_000;

  /** Clearly stalled: far more than the heartbeat interval plus one batch. */
  private static final long STALLED_MS = 8_000;

  @Test
  void lagStaysLowWhileIdleGrowsWhileTheTransformerIsStoppedAndFallsWhenItRuns() throws Exception {
    PipelineSettings base = ItSupport.sharedSettings("e2elag", List.of("public.quiet"), List.of());
    PipelineSettings settings =
        base.withOverride("source.heartbeat.interval.ms", Long.toString(HEARTBEAT_MS));
    try (Pipeline p = new Pipeline(settings)) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute("CREATE TABLE quiet (id int PRIMARY KEY, note text)");
        st.execute("INSERT INTO quiet VALUES (1, 'only row')");
      }
      p.startServices(EnumSet.of(Stage.SOURCE, Stage.SINK));
      Path stateDir =
          Path.of("target", "it", "e2elag-transformer-" + System.nanoTime()).toAbsolutePath();

      // 1. Every stage runs, the database is idle: the lag is known and stays low.
      try (Transformer transformer = transformer(p, stateDir)) {
        transformer.start();
        await()
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> below(p, BOUND_MS));
        AtomicLong maxIdle = new AtomicLong();
        await()
            .during(Duration.ofSeconds(15))
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  OptionalLong lag = p.progress().lagMs();
                  lag.ifPresent(l -> maxIdle.accumulateAndGet(l, Math::max));
                  return lag.isPresent() && lag.getAsLong() < BOUND_MS;
                });
        log.info("End-to-end lag while idle, every stage running: at most {} ms", maxIdle.get());
        assertThat(maxIdle.get()).isLessThan(BOUND_MS);
        // "Applied in Convex" is observed: the checkpoint's commit time moves while idle.
        long first = checkpointCommitTs(p);
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> checkpointCommitTs(p) > first);
        assertThat(p.sink().heartbeats()).isPositive();
        assertThat(p.sink().deadLetters()).isZero(); // Convex never saw a heartbeat
        assertThat(p.sink().opsApplied()).isEqualTo(1); // the one row, not the heartbeats
      }

      // 2. The transformer stops, the database stays idle: the lag grows without bound.
      long stoppedAt = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> above(p, STALLED_MS));
      long grewAfterMs = (System.nanoTime() - stoppedAt) / 1_000_000;
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> above(p, STALLED_MS + 4_000));
      long peak = p.progress().lagMs().getAsLong();
      log.info(
          "End-to-end lag with the transformer stopped: past {} ms after {} ms, then {} ms",
          STALLED_MS,
          grewAfterMs,
          peak);
      assertThat(p.source().health().up()).isTrue();
      assertThat(p.sink().health().up()).isTrue();
      // ./cdc status says so: the sink's lag is true while idle, and the transformer is missing.
      JsonNode stopped =
          Json.parse(CliRun.of("status", "--endpoint", p.endpoint().url(), "--json").out);
      assertThat(stopped.get("verdict").asText()).isEqualTo("failing");
      assertThat(stopped.get("reason").asText()).contains("transformer not found");
      assertThat(stopped.get("endToEndLagMs").asLong()).isGreaterThan(STALLED_MS);

      // A sink (re)started while the transformer is down knows the lag too: its partitions start
      // from the commit time of the checkpoint Convex holds, so the lag is not unknown, and grows.
      try (ConvexSink late =
          new ConvexSink(
              SinkConfig.definition().parse(p.properties(Stage.SINK)), new SimpleMeterRegistry())) {
        late.start();
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> late.endToEndLagMs().isPresent() && late.endToEndLagMs().getAsLong() > peak);
        long lateLag = late.endToEndLagMs().getAsLong();
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> late.endToEndLagMs().getAsLong() >= lateLag + 1_000);
        log.info("A sink started while the transformer is stopped reports {} ms, growing", lateLag);
      }

      // 3. A transformer runs again (the same state directory, as after a restart): it falls.
      long restartedAt = System.nanoTime();
      try (Transformer transformer = transformer(p, stateDir)) {
        transformer.start();
        await()
            .atMost(Duration.ofSeconds(180))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> below(p, BOUND_MS));
        long fellAfterMs = (System.nanoTime() - restartedAt) / 1_000_000;
        AtomicLong maxAfter = new AtomicLong();
        await()
            .during(Duration.ofSeconds(5))
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  OptionalLong lag = p.progress().lagMs();
                  lag.ifPresent(l -> maxAfter.accumulateAndGet(l, Math::max));
                  return lag.isPresent() && lag.getAsLong() < BOUND_MS;
                });
        log.info(
            "End-to-end lag after the transformer runs again: below {} ms after {} ms (start"
                + " included), then at most {} ms",
            BOUND_MS,
            fellAfterMs,
            maxAfter.get());
        assertThat(p.progress().lagText()).endsWith(" ms");
        // With the transformer's own endpoint the whole chain is there, and caught up.
        try (ServiceEndpoint own = new ServiceEndpoint("127.0.0.1", 0)) {
          own.register(transformer);
          await()
              .atMost(Duration.ofSeconds(60))
              .pollInterval(Duration.ofMillis(500))
              .untilAsserted(
                  () -> {
                    CliRun st =
                        CliRun.of(
                            "status",
                            "--endpoint",
                            p.endpoint().url(),
                            "--endpoint",
                            own.url(),
                            "--json");
                    assertThat(Json.parse(st.out).get("verdict").asText())
                        .as(st.out)
                        .isEqualTo("caught up");
                    assertThat(st.code).isZero();
                  });
        }
      }
    }
  }

  private static boolean below(Pipeline p, long ms) {
    OptionalLong lag = p.progress().lagMs();
    return lag.isPresent() && lag.getAsLong() < ms;
  }

  private static boolean above(Pipeline p, long ms) {
    OptionalLong lag = p.progress().lagMs();
    return lag.isPresent() && lag.getAsLong() > ms;
  }

  /** The commit time of the sink's checkpoint in Convex, 0 while there is none. */
  private static long checkpointCommitTs(Pipeline p) {
    JsonNode cp =
        p.convex()
            .query(
                "cdc/ingest:getCheckpoint",
                Json.NODES.objectNode().put("source", p.topics().prefix()));
    return cp == null || cp.isNull() ? 0 : cp.path("commitTs").asLong(0);
  }

  private static Transformer transformer(Pipeline p, Path stateDir) {
    Map<String, String> props = new HashMap<>(p.properties(Stage.TRANSFORMER));
    props.put(TransformerConfig.STATE_DIR, stateDir.toString());
    Config config = TransformerConfig.definition().parse(props);
    return new Transformer(config, new SimpleMeterRegistry(), p.mapping());
  }
}
