package dev.pgconvex.operations.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.operations.alerts.AlertEvent.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The engine's state machine, driven through {@link AlertInputs#nowMs()} on one rule ({@link
 * AlertRules#END_TO_END_LAG}: holds while the sink's end-to-end lag is above 10 s by default).
 */
class AlertEngineTest {
  private static final long T0 = 1_800_000_000_000L;
  private static final AlertRule RULE = AlertRules.END_TO_END_LAG;
  private static final long HIGH = 20_000;
  private static final long LOW = 500;

  /** Settings parsed as the pipeline parses them, with the rule's for and the repeat interval. */
  private static AlertSettings settings(long forMs, long repeatMs) {
    return AlertSettings.from(
        AlertRules.definition()
            .parse(
                Map.of(
                    RULE.forKey(),
                    Long.toString(forMs),
                    AlertRules.WEBHOOK_REPEAT_INTERVAL_MS,
                    Long.toString(repeatMs)),
                name -> null));
  }

  private static AlertEngine engine(long forMs, long repeatMs) {
    return new AlertEngine(List.of(RULE), settings(forMs, repeatMs));
  }

  private static AlertInputs lag(long lagMs, long nowMs) {
    SinkStatus sink =
        new SinkStatus(
            StageState.RUNNING, "4 partitions", null, 4, nowMs - lagMs, lagMs, null, 8, 0, 0, 0, 0);
    return new AlertInputs(Map.of("sink", sink), Set.of("sink"), List.of(), nowMs);
  }

  @Test
  void pendingUntilTheForDurationHasPassedThenFiring() {
    AlertEngine e = engine(60_000, 0);

    assertThat(e.evaluate(lag(HIGH, T0))).isEmpty();
    assertThat(e.isFiring(RULE.name())).isFalse();
    assertThat(e.firing()).isEmpty();
    assertThat(e.evaluate(lag(HIGH, T0 + 30_000))).isEmpty();
    assertThat(e.evaluate(lag(HIGH, T0 + 59_999))).isEmpty();
    assertThat(e.isFiring(RULE.name())).isFalse();

    List<AlertEvent> events = e.evaluate(lag(HIGH, T0 + 60_000));
    assertThat(events).hasSize(1);
    AlertEvent fired = events.get(0);
    assertThat(fired.alert()).isEqualTo("EndToEndLagHigh");
    assertThat(fired.status()).isEqualTo(Status.FIRING);
    assertThat(fired.severity()).isEqualTo(Severity.WARNING);
    assertThat(fired.startsAtMs()).isEqualTo(T0);
    assertThat(fired.atMs()).isEqualTo(T0 + 60_000);
    assertThat(fired.threshold()).isEqualTo(10_000);
    assertThat(fired.value()).isEqualTo(HIGH);
    assertThat(fired.reason()).contains("end-to-end lag 20 s");
    assertThat(fired.fix()).isEqualTo(RULE.fix());
    assertThat(e.isFiring(RULE.name())).isTrue();
  }

  @Test
  void aConditionThatStopsHoldingWhilePendingStartsOver() {
    AlertEngine e = engine(60_000, 0);

    assertThat(e.evaluate(lag(HIGH, T0))).isEmpty();
    assertThat(e.evaluate(lag(LOW, T0 + 30_000))).as("pending never resolves").isEmpty();
    assertThat(e.evaluate(lag(HIGH, T0 + 40_000))).isEmpty();
    // 60 s after the first start, but only 20 s after the condition held again.
    assertThat(e.evaluate(lag(HIGH, T0 + 60_000))).isEmpty();
    assertThat(e.evaluate(lag(HIGH, T0 + 99_999))).isEmpty();

    List<AlertEvent> events = e.evaluate(lag(HIGH, T0 + 100_000));
    assertThat(events).extracting(AlertEvent::status).containsExactly(Status.FIRING);
    assertThat(events.get(0).startsAtMs()).isEqualTo(T0 + 40_000);
  }

  @Test
  void forZeroFiresAtTheFirstEvaluation() {
    AlertEngine e = engine(0, 0);

    List<AlertEvent> events = e.evaluate(lag(HIGH, T0));

    assertThat(events).extracting(AlertEvent::status).containsExactly(Status.FIRING);
    assertThat(events.get(0).startsAtMs()).isEqualTo(T0);
    assertThat(events.get(0).atMs()).isEqualTo(T0);
    assertThat(e.isFiring(RULE.name())).isTrue();
  }

  @Test
  void exactlyOneFiringAndOneResolvedPerEpisode() {
    AlertEngine e = engine(10_000, 0); // repeat 0: never re-posted
    List<AlertEvent> events = new ArrayList<>();
    long t = T0;
    for (int i = 0; i < 200; i++, t += 5_000) {
      events.addAll(e.evaluate(lag(HIGH + i, t)));
    }
    assertThat(events).extracting(AlertEvent::status).containsExactly(Status.FIRING);

    List<AlertEvent> resolved = e.evaluate(lag(LOW, t));
    assertThat(resolved).extracting(AlertEvent::status).containsExactly(Status.RESOLVED);
    AlertEvent r = resolved.get(0);
    assertThat(r.startsAtMs()).isEqualTo(T0);
    assertThat(r.atMs()).isEqualTo(t);
    // The reason of a resolved alert is what was seen when it last held.
    assertThat(r.value()).isEqualTo(HIGH + 199);
    assertThat(r.reason()).contains("end-to-end lag 20 s");
    assertThat(e.isFiring(RULE.name())).isFalse();
    assertThat(e.firing()).isEmpty();

    for (int i = 0; i < 50; i++) {
      t += 5_000;
      assertThat(e.evaluate(lag(LOW, t))).as("nothing after resolved").isEmpty();
    }
  }

  @Test
  void repeatAfterTheRepeatIntervalAndNotBefore() {
    long repeat = 3_600_000;
    AlertEngine e = engine(0, repeat);
    assertThat(e.evaluate(lag(HIGH, T0)))
        .extracting(AlertEvent::status)
        .containsExactly(Status.FIRING);

    assertThat(e.evaluate(lag(HIGH, T0 + 1_000))).isEmpty();
    assertThat(e.evaluate(lag(HIGH, T0 + repeat - 1))).isEmpty();
    List<AlertEvent> again = e.evaluate(lag(HIGH, T0 + repeat));
    assertThat(again).extracting(AlertEvent::status).containsExactly(Status.REPEAT);
    assertThat(again.get(0).startsAtMs()).as("still the same episode").isEqualTo(T0);
    assertThat(again.get(0).atMs()).isEqualTo(T0 + repeat);

    // The next repeat counts from the last one sent.
    assertThat(e.evaluate(lag(HIGH, T0 + repeat + 1_000))).isEmpty();
    assertThat(e.evaluate(lag(HIGH, T0 + 2 * repeat - 1))).isEmpty();
    assertThat(e.evaluate(lag(HIGH, T0 + 2 * repeat)))
        .extracting(AlertEvent::status)
        .containsExactly(Status.REPEAT);
  }

  @Test
  void noRepeatWhenTheIntervalIsZero() {
    AlertEngine e = engine(0, 0);
    List<Status> seen = new ArrayList<>();
    for (long t = T0; t <= T0 + 48 * 3_600_000L; t += 600_000) {
      e.evaluate(lag(HIGH, t)).forEach(ev -> seen.add(ev.status()));
    }
    assertThat(seen).containsExactly(Status.FIRING);
  }

  @Test
  void twoEpisodesGiveAlternatingFiringAndResolved() {
    AlertEngine e = engine(10_000, 0);
    List<AlertEvent> events = new ArrayList<>();
    long[][] script = {
      // {nowMs offset, lag}
      {0, HIGH}, {5_000, HIGH}, {10_000, HIGH}, {15_000, HIGH}, {20_000, LOW}, {25_000, LOW},
      {30_000, HIGH}, {35_000, HIGH}, {40_000, HIGH}, {45_000, HIGH}, {50_000, LOW}, {55_000, LOW}
    };
    for (long[] step : script) {
      events.addAll(e.evaluate(lag(step[1], T0 + step[0])));
    }

    assertThat(events)
        .extracting(AlertEvent::status)
        .containsExactly(Status.FIRING, Status.RESOLVED, Status.FIRING, Status.RESOLVED);
    assertThat(events)
        .extracting(AlertEvent::atMs)
        .containsExactly(T0 + 10_000, T0 + 20_000, T0 + 40_000, T0 + 50_000);
    assertThat(events)
        .extracting(AlertEvent::startsAtMs)
        .containsExactly(T0, T0, T0 + 30_000, T0 + 30_000);
  }

  @Test
  void firingListsTheAlertWithItsLatestReasonAndSinceTime() {
    AlertEngine e = engine(10_000, 0);
    e.evaluate(lag(HIGH, T0));
    assertThat(e.firing()).as("pending is not firing").isEmpty();
    e.evaluate(lag(HIGH, T0 + 10_000));
    e.evaluate(lag(30_000, T0 + 15_000));

    assertThat(e.firing())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.alert()).isEqualTo("EndToEndLagHigh");
              assertThat(f.severity()).isEqualTo(Severity.WARNING);
              assertThat(f.reason()).isEqualTo("end-to-end lag 30 s (above 10 s)");
              assertThat(f.value()).isEqualTo(30_000);
              // Since the condition began to hold, not since it fired.
              assertThat(f.sinceMs()).isEqualTo(T0);
              assertThat(f.fix()).isEqualTo(RULE.fix());
            });

    e.evaluate(lag(LOW, T0 + 20_000));
    assertThat(e.firing()).isEmpty();
  }

  @Test
  void eachRuleHasItsOwnStateAndFiringIsInRuleOrder() {
    // STALLED (threshold 60 s, for 0) and END_TO_END_LAG (threshold 10 s, for 0 here).
    AlertSettings s =
        AlertSettings.from(AlertRules.definition().parse(Map.of(RULE.forKey(), "0"), name -> null));
    AlertEngine e = new AlertEngine(List.of(AlertRules.STALLED, RULE), s);

    assertThat(e.evaluate(lag(HIGH, T0)))
        .extracting(AlertEvent::alert)
        .containsExactly("EndToEndLagHigh");
    assertThat(e.evaluate(lag(120_000, T0 + 5_000)))
        .extracting(AlertEvent::alert, AlertEvent::status)
        .containsExactly(tuple("PipelineStalled", Status.FIRING));
    assertThat(e.firing())
        .extracting(FiringAlert::alert, FiringAlert::sinceMs)
        .containsExactly(tuple("PipelineStalled", T0 + 5_000), tuple("EndToEndLagHigh", T0));

    assertThat(e.evaluate(lag(HIGH, T0 + 10_000)))
        .extracting(AlertEvent::alert, AlertEvent::status)
        .containsExactly(tuple("PipelineStalled", Status.RESOLVED));
    assertThat(e.isFiring("PipelineStalled")).isFalse();
    assertThat(e.isFiring("EndToEndLagHigh")).isTrue();
  }
}
