package dev.pgconvex.operations.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.ConfigKey;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.operations.lag.GroupLag;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class AlertRulesTest {
  private static final long T0 = 1_800_000_000_000L;
  private static final long STEP = 5_000;
  private static final AlertSettings DEFAULTS = AlertSettings.defaults();

  /** A healthy chain, to be broken one field at a time. */
  private static final class Chain {
    StageState sourceState = StageState.RUNNING;
    StageState transformerState = StageState.RUNNING;
    StageState sinkState = StageState.RUNNING;
    LastError transformerError;
    LastError sinkError;
    long slotLagBytes = 4_096;
    Boolean slotActive = true;
    long slotLsnUnchangedMs = 0;
    boolean snapshotFinished = true;
    long pendingRows = 0;
    Long oldestPendingAgeMs = null;
    long transformerDeadLetters = 7; // counters since start: their past is not "arriving"
    List<TransformerStatus.Held> heldTables = List.of();
    Long endToEndLagMs = 800L;
    long rateLimited = 3;
    long sinkDeadLetters = 2;
    long failingForMs = 0;
    long transformerLagMs = 0;
    long sinkLagRecords = 0;
    long sinkLagMs = 0;
    final Set<String> absent = new HashSet<>();
    boolean verifying = true;
    long mismatched = 0;
    Long lastPassAgoMs = 60_000L; // passes keep completing
    long startedAgoMs = 7_200_000;
    LastError verifyError;

    AlertInputs at(long nowMs) {
      Map<String, StageStatus> stages = new HashMap<>();
      stages.put(
          "source",
          new SourceStatus(
              sourceState,
              "streaming",
              null,
              100,
              100,
              slotLagBytes,
              "reserved",
              slotActive,
              slotLsnUnchangedMs,
              50,
              snapshotFinished,
              0));
      stages.put(
          "transformer",
          new TransformerStatus(
              transformerState,
              "kafka streams RUNNING",
              transformerError,
              "RUNNING",
              pendingRows,
              oldestPendingAgeMs,
              transformerDeadLetters,
              heldTables));
      stages.put(
          "sink",
          new SinkStatus(
              sinkState,
              "4 partitions",
              sinkError,
              4,
              endToEndLagMs == null ? 0 : nowMs - endToEndLagMs,
              endToEndLagMs,
              "cp",
              8,
              rateLimited,
              rateLimited,
              sinkDeadLetters,
              failingForMs));
      absent.forEach(stages::remove);
      List<GroupLag> lag =
          List.of(
              new GroupLag("transformer", "pg1-transformer", 0, transformerLagMs, List.of()),
              new GroupLag("sink", "pg1-sink", sinkLagRecords, sinkLagMs, List.of()));
      VerifyStatus verify =
          verifying
              ? new VerifyStatus(
                  true,
                  nowMs - startedAgoMs,
                  12,
                  verifyError == null ? 0 : 1,
                  lastPassAgoMs == null ? null : nowMs - lastPassAgoMs,
                  mismatched,
                  Map.of("users", mismatched, "messages", 0L),
                  verifyError)
              : null;
      return new AlertInputs(stages, Set.of("source", "transformer", "sink"), lag, nowMs, verify);
    }
  }

  private record Case(String name, AlertRule rule, Consumer<Chain> breakIt, String says) {}

  /** One way to make each rule fire, and what its reason then says. */
  private static List<Case> firing() {
    return List.of(
        new Case(
            "nothing applied for two minutes",
            AlertRules.STALLED,
            c -> c.endToEndLagMs = 120_000L,
            "nothing applied in Convex for 120 s (above 60 s)"),
        new Case(
            "a failed stage",
            AlertRules.STAGE_DOWN,
            c -> {
              c.transformerState = StageState.FAILED;
              c.transformerError = new LastError("mapping has no table t", T0);
            },
            "transformer failed: mapping has no table t"),
        new Case(
            "a stopped stage",
            AlertRules.STAGE_DOWN,
            c -> c.sourceState = StageState.STOPPED,
            "source stopped"),
        new Case(
            "an expected stage that does not answer",
            AlertRules.STAGE_DOWN,
            c -> c.absent.add("sink"),
            "sink does not answer"),
        new Case(
            "end-to-end lag of 20 s",
            AlertRules.END_TO_END_LAG,
            c -> c.endToEndLagMs = 20_000L,
            "end-to-end lag 20 s (above 10 s)"),
        new Case(
            "the sink 90 s behind Kafka",
            AlertRules.CONSUMER_LAG,
            c -> {
              c.sinkLagMs = 90_000;
              c.sinkLagRecords = 42;
            },
            "sink (group pg1-sink) is 90 s and 42 records behind Kafka (above 60 s)"),
        new Case(
            "a slot holding 2 GiB",
            AlertRules.SLOT_LAG,
            c -> c.slotLagBytes = 2L << 30,
            "the slot holds 2147483648 bytes of WAL (above 1073741824 bytes)"),
        new Case(
            "an inactive slot",
            AlertRules.SLOT_STUCK,
            c -> c.slotActive = false,
            "the replication slot is inactive (no walsender reads it)"),
        new Case(
            "a slot whose LSN has not moved",
            AlertRules.SLOT_STUCK,
            c -> {
              c.slotLsnUnchangedMs = 400_000;
              c.slotLagBytes = 1_000_000;
            },
            "the slot's confirmed LSN has not moved for 400 s while it holds 1000000 bytes (above"
                + " 300 s)"),
        new Case(
            "rows waiting ten minutes for their parent",
            AlertRules.ORPHANS,
            c -> {
              c.pendingRows = 3;
              c.oldestPendingAgeMs = 600_000L;
            },
            "3 rows wait for a parent, the oldest for 600 s (above 300 s)"),
        new Case(
            "a renamed column",
            AlertRules.SCHEMA_DRIFT,
            c ->
                c.heldTables =
                    List.of(
                        new TransformerStatus.Held(
                            "public.users",
                            42,
                            "00000000000000C8:00000000",
                            T0,
                            "public.users: `name` gone and `full_name` added: renamed?; the"
                                + " table's changes are held")),
            "public.users: `name` gone and `full_name` added: renamed? (42 held)"),
        new Case(
            "a held table at 85% of its bound",
            AlertRules.SCHEMA_DRIFT_BOUND,
            c ->
                c.heldTables =
                    List.of(
                        new TransformerStatus.Held(
                            "public.users", 850, "00000000000000C8:00000000", T0, "renamed?", 1000),
                        new TransformerStatus.Held(
                            "public.notes", 10, "00000000000000C8:00000000", T0, "renamed?", 1000)),
            "public.users holds 850 of at most 1000 changes (threshold 80%)"),
        new Case(
            "a record dead-lettered by the transformer and two by the sink",
            AlertRules.DEAD_LETTERS,
            c -> {
              c.transformerDeadLetters += 1;
              c.sinkDeadLetters += 2;
            },
            "3 records dead-lettered in the last 600 s (above 0)"),
        new Case(
            "Convex failing for 90 s",
            AlertRules.SINK_FAILING,
            c -> {
              c.failingForMs = 90_000;
              c.sinkError = new LastError("HTTP 503 from Convex", T0);
            },
            "Convex calls have failed for 90 s (HTTP 503 from Convex)"),
        new Case(
            "eleven 429s in a minute",
            AlertRules.THROTTLED,
            c -> c.rateLimited += 11,
            "11 throttled calls (429) in the last 60 s (above 10)"),
        new Case(
            "a verification pass that found two keys differing",
            AlertRules.MIRROR_DIVERGED,
            c -> c.mismatched = 2,
            "2 key(s) differ: users 2 (above 0 keys)"),
        new Case(
            "no verification pass for two hours",
            AlertRules.VERIFY_STALE,
            c -> {
              c.lastPassAgoMs = 7_200_000L;
              c.verifyError = new LastError("verification pass failed: Convex 503", T0);
            },
            "the last complete pass ended 7,200 s ago; last failure: verification pass failed:"
                + " Convex 503 (above 3,600 s)"));
  }

  /** Inputs at the threshold or just short of it: none of them fires (thresholds are strict). */
  private static List<Case> nearMisses() {
    return List.of(
        new Case("lag at 60 s", AlertRules.STALLED, c -> c.endToEndLagMs = 60_000L, null),
        new Case(
            "a starting stage",
            AlertRules.STAGE_DOWN,
            c -> c.sinkState = StageState.STARTING,
            null),
        new Case("lag at 10 s", AlertRules.END_TO_END_LAG, c -> c.endToEndLagMs = 10_000L, null),
        new Case(
            "consumer lag at 60 s",
            AlertRules.CONSUMER_LAG,
            c -> c.transformerLagMs = 60_000,
            null),
        new Case(
            "consumer lag unknown", AlertRules.CONSUMER_LAG, c -> c.transformerLagMs = -1, null),
        new Case("slot at 1 GiB", AlertRules.SLOT_LAG, c -> c.slotLagBytes = 1L << 30, null),
        new Case(
            "slot LSN unchanged for 300 s",
            AlertRules.SLOT_STUCK,
            c -> c.slotLsnUnchangedMs = 300_000,
            null),
        new Case(
            "a slot not read during the initial snapshot (Debezium reads the tables first)",
            AlertRules.SLOT_STUCK,
            c -> {
              c.snapshotFinished = false;
              c.slotActive = false;
              c.slotLsnUnchangedMs = 900_000;
            },
            null),
        new Case(
            "rows held for 300 s",
            AlertRules.ORPHANS,
            c -> {
              c.pendingRows = 2;
              c.oldestPendingAgeMs = 300_000L;
            },
            null),
        new Case(
            "Convex failing for 60 s", AlertRules.SINK_FAILING, c -> c.failingForMs = 60_000, null),
        new Case("ten 429s", AlertRules.THROTTLED, c -> c.rateLimited += 10, null),
        new Case(
            "a first pass still running after 30 min",
            AlertRules.VERIFY_STALE,
            c -> {
              c.lastPassAgoMs = null;
              c.startedAgoMs = 1_800_000;
            },
            null),
        new Case(
            "no background verification",
            AlertRules.MIRROR_DIVERGED,
            c -> c.verifying = false,
            null),
        new Case(
            "a dead-letter counter that went down (a restart)",
            AlertRules.DEAD_LETTERS,
            c -> c.transformerDeadLetters = 0,
            null));
  }

  private static Reading test(AlertRule r, AlertInputs in, CounterWindows counters) {
    return r.condition().test(in, DEFAULTS.of(r), counters);
  }

  /**
   * Evaluates {@code rule} on the healthy chain, then on it broken by {@code breakIt} one step
   * later (with the same counters, as the engine keeps them): returns the second reading.
   */
  private static Reading afterBreaking(AlertRule rule, Consumer<Chain> breakIt) {
    CounterWindows counters = new CounterWindows();
    Chain chain = new Chain();
    Reading healthy = test(rule, chain.at(T0), counters);
    assertThat(healthy).as(rule.name() + " on the healthy chain").isNull();
    breakIt.accept(chain);
    return test(rule, chain.at(T0 + STEP), counters);
  }

  /** The rules that fire on the healthy chain broken by {@code breakIt} (after a healthy step). */
  private static Set<String> firingAfterBreaking(Consumer<Chain> breakIt) {
    Set<String> fired = new LinkedHashSet<>();
    for (AlertRule r : AlertRules.ALL) {
      if (afterBreaking(r, breakIt) != null) {
        fired.add(r.name());
      }
    }
    return fired;
  }

  @Test
  void everyRuleHasAFiringCase() {
    assertThat(firing().stream().map(c -> c.rule().name()).collect(Collectors.toSet()))
        .containsExactlyInAnyOrderElementsOf(AlertRules.ALL.stream().map(AlertRule::name).toList());
  }

  @Test
  void eachRuleFiresOnItsInputWithAReasonThatSaysWhat() {
    for (Case c : firing()) {
      Reading r = afterBreaking(c.rule(), c.breakIt());
      assertThat(r).as(c.name()).isNotNull();
      assertThat(r.reason()).as(c.name()).isEqualTo(c.says());
      assertThat(r.value()).as(c.name()).isPositive();
    }
  }

  @Test
  void eachFiringInputSetsOffOnlyTheRuleConcerned() {
    for (Case c : firing()) {
      Set<String> expected = new LinkedHashSet<>(List.of(c.rule().name()));
      if (c.rule() == AlertRules.STALLED) {
        expected.add(AlertRules.END_TO_END_LAG.name()); // 120 s of lag is above both thresholds
      }
      if (c.rule() == AlertRules.SCHEMA_DRIFT_BOUND) {
        expected.add(AlertRules.SCHEMA_DRIFT.name()); // near the bound is held too
      }
      assertThat(firingAfterBreaking(c.breakIt()))
          .as(c.name())
          .containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @Test
  void noRuleFiresOnAHealthyChainHoweverLongItIsWatched() {
    CounterWindows counters = new CounterWindows();
    Chain healthy = new Chain();
    for (int i = 0; i < 200; i++) {
      AlertInputs in = healthy.at(T0 + i * STEP);
      for (AlertRule r : AlertRules.ALL) {
        assertThat(test(r, in, counters)).as(r.name() + " at step " + i).isNull();
      }
    }
  }

  @Test
  void aHealthyChainThroughTheEngineYieldsNoEvent() {
    AlertEngine engine = new AlertEngine(AlertRules.ALL, DEFAULTS);
    Chain healthy = new Chain();
    List<AlertEvent> events = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      events.addAll(engine.evaluate(healthy.at(T0 + i * STEP)));
    }
    assertThat(events).isEmpty();
    assertThat(engine.firing()).isEmpty();
  }

  @Test
  void nearMissesDoNotFire() {
    for (Case c : nearMisses()) {
      assertThat(afterBreaking(c.rule(), c.breakIt())).as(c.name()).isNull();
    }
  }

  @Test
  void rulesThatCannotTellDoNotFire() {
    AlertInputs nothing = new AlertInputs(Map.of(), Set.of(), List.of(), T0);
    CounterWindows counters = new CounterWindows();
    for (AlertRule r : AlertRules.ALL) {
      assertThat(test(r, nothing, counters)).as(r.name()).isNull();
    }
    // A fresh mirror: the sink does not know its lag yet, the slot has not been polled.
    Chain fresh = new Chain();
    fresh.endToEndLagMs = null;
    fresh.slotActive = null;
    fresh.slotLagBytes = -1;
    for (AlertRule r :
        List.of(
            AlertRules.STALLED,
            AlertRules.END_TO_END_LAG,
            AlertRules.SLOT_LAG,
            AlertRules.SLOT_STUCK)) {
      assertThat(test(r, fresh.at(T0), counters)).as(r.name()).isNull();
    }
  }

  @Test
  void deadLettersStopHoldingOnceTheBurstLeavesTheWindow() {
    AlertRule r = AlertRules.DEAD_LETTERS;
    long window = DEFAULTS.of(r).windowMs();
    CounterWindows counters = new CounterWindows();
    Chain chain = new Chain();
    assertThat(test(r, chain.at(T0), counters)).isNull();
    chain.sinkDeadLetters += 1;
    for (long t = T0 + STEP; t < T0 + STEP + window; t += STEP) {
      assertThat(test(r, chain.at(t), counters)).as("at %d", t - T0).isNotNull();
    }
    assertThat(test(r, chain.at(T0 + 2 * STEP + window), counters)).isNull();
  }

  @Test
  void aChangedThresholdChangesWhenARuleFires() {
    AlertSettings s =
        AlertSettings.from(
            AlertRules.definition()
                .parse(Map.of("alerts.end.to.end.lag.threshold.ms", "30000"), name -> null));
    Chain chain = new Chain();
    chain.endToEndLagMs = 20_000L;
    AlertRule r = AlertRules.END_TO_END_LAG;
    assertThat(r.condition().test(chain.at(T0), s.of(r), new CounterWindows())).isNull();
    chain.endToEndLagMs = 31_000L;
    assertThat(r.condition().test(chain.at(T0), s.of(r), new CounterWindows()))
        .extracting(Reading::reason)
        .isEqualTo("end-to-end lag 31 s (above 30 s)");
  }

  @Test
  void namesAndConfigKeysAreUnique() {
    List<String> names = AlertRules.ALL.stream().map(AlertRule::name).toList();
    assertThat(names).doesNotHaveDuplicates();
    List<String> keyBases = AlertRules.ALL.stream().map(AlertRule::keyBase).toList();
    assertThat(keyBases).doesNotHaveDuplicates();

    List<String> keys = new ArrayList<>();
    for (AlertRule r : AlertRules.ALL) {
      keys.add(r.forKey());
      if (r.thresholdKey() != null) {
        keys.add(r.thresholdKey());
      }
      if (r.windowKey() != null) {
        keys.add(r.windowKey());
      }
      assertThat(r.forKey()).isEqualTo("alerts." + r.keyBase() + ".for.ms");
    }
    assertThat(keys).doesNotHaveDuplicates();
    Set<String> defined =
        AlertRules.definition().keys().stream()
            .map(ConfigKey::name)
            .collect(Collectors.toCollection(LinkedHashSet::new));
    assertThat(defined).containsAll(keys);
    assertThat(defined)
        .contains(
            AlertRules.ENABLED,
            AlertRules.EVALUATION_INTERVAL_MS,
            AlertRules.WEBHOOK_URL,
            AlertRules.WEBHOOK_REPEAT_INTERVAL_MS,
            AlertRules.WEBHOOK_TIMEOUT_MS,
            AlertRules.WEBHOOK_MAX_ATTEMPTS);
    assertThat(defined).allMatch(k -> k.startsWith("alerts."));
    assertThat(defined).hasSize(keys.size() + 6);
  }

  @Test
  void anEmptyMapParsesToTheDefaults() {
    AlertSettings s = AlertSettings.from(AlertRules.definition().parse(Map.of(), name -> null));

    assertThat(s.enabled()).isTrue();
    assertThat(s.evaluationIntervalMs()).isEqualTo(5_000);
    assertThat(s.hasWebhook()).isFalse();
    assertThat(s.webhookUrl().reveal()).isEmpty();
    assertThat(s.repeatIntervalMs()).isEqualTo(14_400_000);
    assertThat(s.webhookTimeoutMs()).isEqualTo(5_000);
    assertThat(s.webhookMaxAttempts()).isEqualTo(5);
    assertThat(s.rules()).hasSize(AlertRules.ALL.size());
    for (AlertRule r : AlertRules.ALL) {
      AlertRule.RuleSettings rs = s.of(r);
      assertThat(rs.forMs()).as(r.name()).isEqualTo(r.defaultForMs());
      assertThat(rs.threshold())
          .as(r.name())
          .isEqualTo(r.thresholdKey() == null ? 0 : r.defaultThreshold());
      assertThat(rs.windowMs()).as(r.name()).isEqualTo(Math.max(0, r.defaultWindowMs()));
    }
    assertThat(s).isEqualTo(AlertSettings.defaults());
    assertThat(s.of(AlertRules.STALLED).threshold()).isEqualTo(60_000);
    assertThat(s.of(AlertRules.SLOT_LAG).threshold()).isEqualTo(1L << 30);
    assertThat(s.of(AlertRules.DEAD_LETTERS).windowMs()).isEqualTo(600_000);
  }

  @Test
  void givenValuesOverrideTheDefaults() {
    AlertSettings s =
        AlertSettings.from(
            AlertRules.definition()
                .parse(
                    Map.of(
                        "alerts.enabled", "false",
                        "alerts.stalled.after.ms", "120000",
                        "alerts.stage.down.for.ms", "0",
                        "alerts.convex.throttled.window.ms", "300000",
                        "alerts.webhook.max.attempts", "2"),
                    name -> null));
    assertThat(s.enabled()).isFalse();
    assertThat(s.of(AlertRules.STALLED).threshold()).isEqualTo(120_000);
    assertThat(s.of(AlertRules.STAGE_DOWN).forMs()).isZero();
    assertThat(s.of(AlertRules.THROTTLED).windowMs()).isEqualTo(300_000);
    assertThat(s.webhookMaxAttempts()).isEqualTo(2);
  }

  @Test
  void theWebhookUrlMayComeFromTheEnvironment() {
    String url = "https://hooks.slack.com/services/T000/B000/envtoken";
    AlertSettings s =
        AlertSettings.from(
            AlertRules.definition()
                .parse(Map.of(), name -> name.equals("ALERTS_WEBHOOK_URL") ? url : null));
    assertThat(s.hasWebhook()).isTrue();
    assertThat(s.webhookUrl().reveal()).isEqualTo(url);
    assertThat(s.toString()).doesNotContain("envtoken");
  }

  @Test
  void aBadNumberIsAProblemNamingTheKey() {
    assertThatThrownBy(
            () ->
                AlertRules.definition()
                    .parse(Map.of("alerts.stalled.after.ms", "abc"), name -> null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.problems())
                  .singleElement()
                  .asString()
                  .startsWith("alerts.stalled.after.ms:")
                  .contains("'abc'");
              assertThat(e.getMessage()).contains("alerts.stalled.after.ms");
            });
  }

  @Test
  void outOfRangeValuesAreAllReportedAtOnce() {
    assertThatThrownBy(
            () ->
                AlertRules.definition()
                    .parse(
                        Map.of(
                            "alerts.slot.lag.threshold.bytes", "-1",
                            "alerts.dead.letters.window.ms", "10",
                            "alerts.webhook.max.attempts", "0",
                            "alerts.evaluation.interval.ms", "50"),
                        name -> null))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(4)
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("alerts.slot.lag.threshold.bytes:")
                                .contains("at least 0"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("alerts.dead.letters.window.ms:")
                                .contains("at least 1000"))
                    .anySatisfy(p -> assertThat(p).startsWith("alerts.webhook.max.attempts:"))
                    .anySatisfy(p -> assertThat(p).startsWith("alerts.evaluation.interval.ms:")));
  }

  @Test
  void anUnknownAlertsKeyIsAProblem() {
    assertThatThrownBy(
            () ->
                AlertRules.definition()
                    .parse(Map.of("alerts.stalled.threshold.ms", "1000"), name -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("alerts.stalled.threshold.ms: unknown configuration key");
  }

  @Test
  void aBadWebhookUrlNamesTheKeyButNeverShowsTheUrl() {
    for (String bad :
        List.of(
            "ftp://x",
            "ftp://hooks.example.com/services/T000/SECRETTOKEN",
            "https:///services/T000/SECRETTOKEN",
            "http://hooks example.com/SECRETTOKEN",
            "hooks.example.com/SECRETTOKEN")) {
      assertThatThrownBy(
              () -> AlertRules.definition().parse(Map.of(AlertRules.WEBHOOK_URL, bad), n -> null))
          .as(bad)
          .isInstanceOfSatisfying(
              ConfigException.class,
              e -> {
                assertThat(e.problems())
                    .singleElement()
                    .asString()
                    .startsWith("alerts.webhook.url:");
                assertThat(e.getMessage())
                    .contains("alerts.webhook.url")
                    .doesNotContain(bad)
                    .doesNotContain("SECRETTOKEN")
                    .doesNotContain("ftp://");
              });
    }
  }

  @Test
  void goodWebhookUrlsAndEmptyAreAccepted() {
    for (String good :
        List.of(
            "", "   ", "http://127.0.0.1:9093/hook", "https://hooks.slack.com/services/T/B/x")) {
      AlertSettings s =
          AlertSettings.from(
              AlertRules.definition().parse(Map.of(AlertRules.WEBHOOK_URL, good), n -> null));
      assertThat(s.hasWebhook()).as("'" + good + "'").isEqualTo(!good.isBlank());
    }
  }
}
