package dev.pgconvex.operations;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChainEvaluatorTest {
  private static final long NOW = 1_800_000_000_000L;
  private final ChainEvaluator evaluator = new ChainEvaluator(Thresholds.DEFAULTS);

  private static SourceStatus source(StageState s, long slotLag) {
    return new SourceStatus(
        s, "streaming", null, 100, 100, slotLag, "reserved", true, 0, 50, true, 0);
  }

  private static TransformerStatus transformer(StageState s) {
    return new TransformerStatus(s, "kafka streams RUNNING", null, "RUNNING", 0, null, 0);
  }

  private static SinkStatus sink(StageState s, long appliedAgoMs, LastError error) {
    return new SinkStatus(
        s,
        "4 partitions",
        error,
        4,
        appliedAgoMs < 0 ? 0 : NOW - appliedAgoMs,
        appliedAgoMs < 0 ? null : appliedAgoMs,
        null,
        8,
        0,
        0,
        0,
        0);
  }

  private static Map<String, StageStatus> chain(StageStatus... stages) {
    Map<String, StageStatus> m = new HashMap<>();
    for (StageStatus s : stages) {
      m.put(s.stage(), s);
    }
    return m;
  }

  private ChainStatus eval(Map<String, StageStatus> stages, List<String> unreachable) {
    return evaluator.evaluate(stages, unreachable, NOW);
  }

  @Test
  void caughtUpWhenEveryStageRunsAndTheLagIsSmall() {
    ChainStatus c =
        eval(
            chain(
                source(StageState.RUNNING, 0),
                transformer(StageState.RUNNING),
                sink(StageState.RUNNING, 800, null)),
            List.of());
    assertThat(c.verdict()).isEqualTo(Verdict.CAUGHT_UP);
    assertThat(c.reason()).isNull();
    assertThat(c.endToEndLagMs()).isEqualTo(800);
    assertThat(c.stages().keySet()).containsExactly("source", "transformer", "sink");
  }

  @Test
  void aTableHeldForSchemaDriftIsLaggingNotCaughtUpThoughHeartbeatsKeepTheLagSmall() {
    TransformerStatus held =
        new TransformerStatus(
            StageState.RUNNING,
            "kafka streams RUNNING",
            null,
            "RUNNING",
            0,
            null,
            0,
            List.of(
                new TransformerStatus.Held(
                    "public.users", 3, "00000000000000C8:00000000", NOW, "renamed?", 1000)));
    ChainStatus c =
        eval(
            chain(source(StageState.RUNNING, 0), held, sink(StageState.RUNNING, 800, null)),
            List.of());
    assertThat(c.verdict()).isEqualTo(Verdict.LAGGING);
    assertThat(c.reason())
        .isEqualTo(
            "public.users held for schema drift (3 changes since 00000000000000C8:00000000):"
                + " ./cdc schema evolve widen");
  }

  @Test
  void aSinkWhoseEveryCallFailsForLongIsFailingNotLagging() {
    SinkStatus retrying =
        new SinkStatus(
            StageState.RUNNING,
            "4 partitions",
            new LastError("Convex is rate limiting (429)", NOW - 90_000),
            4,
            NOW - 30_000,
            30_000L,
            null,
            1,
            60,
            60,
            0,
            90_000);
    ChainStatus c =
        eval(
            chain(source(StageState.RUNNING, 0), transformer(StageState.RUNNING), retrying),
            List.of());
    assertThat(c.verdict()).isEqualTo(Verdict.FAILING);
    assertThat(c.reason()).contains("every Convex call has failed for 90 s", "429");
    SinkStatus brief =
        new SinkStatus(
            StageState.RUNNING, "4 partitions", null, 4, NOW - 800, 800L, null, 8, 1, 1, 0, 5_000);
    assertThat(
            eval(
                    chain(source(StageState.RUNNING, 0), transformer(StageState.RUNNING), brief),
                    List.of())
                .verdict())
        .isEqualTo(Verdict.CAUGHT_UP);
  }

  @Test
  void eachRuleInOrderOfSeverity() {
    record Case(
        String name,
        Map<String, StageStatus> stages,
        List<String> unreachable,
        Verdict v,
        String says) {}
    LastError auth = new LastError("Convex rejected the admin key (401)", NOW - 5);
    List<Case> cases =
        List.of(
            new Case(
                "unreachable endpoint",
                chain(source(StageState.RUNNING, 0)),
                List.of("http://127.0.0.1:1: cannot connect"),
                Verdict.FAILING,
                "cannot connect"),
            new Case(
                "missing stage",
                chain(source(StageState.RUNNING, 0), transformer(StageState.RUNNING)),
                List.of(),
                Verdict.FAILING,
                "sink not found"),
            new Case(
                "failed sink",
                chain(
                    source(StageState.RUNNING, 0),
                    transformer(StageState.RUNNING),
                    sink(StageState.FAILED, 1000, auth)),
                List.of(),
                Verdict.FAILING,
                "sink failed: Convex rejected the admin key (401)"),
            new Case(
                "nothing applied for two minutes",
                chain(
                    source(StageState.RUNNING, 0),
                    transformer(StageState.RUNNING),
                    sink(StageState.RUNNING, 120_000, null)),
                List.of(),
                Verdict.STALLED,
                "nothing reached Convex for 120 s"),
            new Case(
                "lag above the lagging bound",
                chain(
                    source(StageState.RUNNING, 0),
                    transformer(StageState.RUNNING),
                    sink(StageState.RUNNING, 20_000, null)),
                List.of(),
                Verdict.LAGGING,
                "end-to-end lag 20000 ms"),
            new Case(
                "transformer starting",
                chain(
                    source(StageState.RUNNING, 0),
                    transformer(StageState.STARTING),
                    sink(StageState.RUNNING, 100, null)),
                List.of(),
                Verdict.LAGGING,
                "transformer starting"),
            new Case(
                "nothing applied yet",
                chain(
                    source(StageState.RUNNING, 0),
                    transformer(StageState.RUNNING),
                    sink(StageState.RUNNING, -1, null)),
                List.of(),
                Verdict.LAGGING,
                "nothing applied in Convex yet"),
            new Case(
                "slot holding WAL",
                chain(
                    source(StageState.RUNNING, 2L << 30),
                    transformer(StageState.RUNNING),
                    sink(StageState.RUNNING, 100, null)),
                List.of(),
                Verdict.LAGGING,
                "the slot holds"));
    for (Case c : cases) {
      ChainStatus s = eval(c.stages(), c.unreachable());
      assertThat(s.verdict()).as(c.name()).isEqualTo(c.v());
      assertThat(s.reason()).as(c.name()).contains(c.says());
    }
  }

  @Test
  void jsonCarriesTheVerdictWordTheLagAndEveryStage() {
    ChainStatus c =
        eval(
            chain(
                source(StageState.RUNNING, 0),
                transformer(StageState.RUNNING),
                sink(StageState.RUNNING, 800, null)),
            List.of());
    var json = Json.parse(Json.write(c));
    assertThat(json.get("verdict").asText()).isEqualTo("caught up");
    assertThat(json.get("endToEndLagMs").asLong()).isEqualTo(800);
    assertThat(json.get("stages").get("source").get("state").asText()).isEqualTo("RUNNING");
    assertThat(json.get("stages").get("sink").get("lastError").isNull()).isTrue();
    // And back, as ./cdc status reads a stage's /status.
    assertThat(StatusProbe.parse("sink", json.get("stages").get("sink")))
        .isEqualTo(c.stages().get("sink"));
  }
}
