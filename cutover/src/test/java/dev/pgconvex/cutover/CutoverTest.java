package dev.pgconvex.cutover;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.cutover.barrier.Confirmation;
import dev.pgconvex.cutover.barrier.Marker;
import dev.pgconvex.cutover.barrier.MarkerProgress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The cutover's steps and every abort path, with fakes of its parts. */
class CutoverTest {
  static final int PARTITIONS = 2;

  final FakeFreeze freeze = new FakeFreeze();
  final FakeMarkers markers = new FakeMarkers();
  final FakeVerify verifier = new FakeVerify();
  final FakeHooks hooks = new FakeHooks();
  final FakeStore store = new FakeStore();
  final AtomicBoolean cancelled = new AtomicBoolean();
  final List<Step> printed = new ArrayList<>();
  ReadinessReport readiness =
      new ReadinessReport(List.of(new Check("stages", "all RUNNING", Check.Verdict.OK, null)));

  Cutover cutover(VerifyMode verify, String onFrozen) {
    return new Cutover(
        new Cutover.Plan(
            "c-1",
            "p",
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            verify,
            onFrozen,
            null,
            Duration.ofSeconds(1)),
        new Cutover.Parts(
            () -> readiness,
            freeze,
            markers,
            verifier,
            hooks,
            store,
            cancelled::get,
            printed::add));
  }

  @Test
  void aCleanCutoverFreezesDrainsVerifiesSwitchesAndReleases() {
    CutoverReport r = cutover(VerifyMode.FULL, "flip-flag").run(false);
    assertThat(r.result()).isEqualTo(CutoverReport.Result.SWITCHED);
    assertThat(r.exitCode()).isZero();
    assertThat(r.steps())
        .extracting(Step::name)
        .containsExactly(
            "readiness", "freeze", "drain", "verify", "on-frozen", "record", "release");
    assertThat(r.steps()).allMatch(s -> s.outcome() == Step.Outcome.OK);
    assertThat(printed).isEqualTo(r.steps());
    assertThat(freeze.acquired).isEqualTo(1);
    assertThat(freeze.released).isEqualTo(1);
    assertThat(r.pauseMs()).isNotNull().isGreaterThanOrEqualTo(0);
    assertThat(r.markerLsn()).isEqualTo("0/1000");
    assertThat(r.markerRounds()).isEqualTo(1);
    assertThat(r.hops()).isEqualTo(new Hop(10, 20, 30, 60));
    assertThat(store.states())
        .containsExactly(
            "ready", "freezing", "draining", "verifying", "verifying", "switched", "switched");
    assertThat(store.last("switched").get("pauseMs").asLong()).isEqualTo(r.pauseMs());
    // the verify result is recorded, with the marker's LSN as the next baseline (writes were
    // frozen)
    JsonNode v = store.last("verifying").get("verify");
    assertThat(v.get("equal").asBoolean()).isTrue();
    assertThat(v.get("baselineLsn").asLong()).isEqualTo(0x1000);
    assertThat(hooks.ran).containsExactly("on-frozen:flip-flag");
    assertThat(hooks.env.get("PGCONVEX_MARKER_LSN")).isEqualTo("0/1000");

    ObjectNode json = r.toJson();
    assertThat(json.get("result").asText()).isEqualTo("switched");
    assertThat(json.get("pauseMs").isNumber()).isTrue();
    assertThat(json.get("markerLsn").asText()).isEqualTo("0/1000");
    assertThat(json.get("steps").get(0).fieldNames())
        .toIterable()
        .contains("name", "ms", "outcome");
  }

  @Test
  void rowsHeldForAParentSendAnotherMarkerUntilDrained() {
    markers.script.add(Script.HELD);
    markers.script.add(Script.DRAINED);
    CutoverReport r = cutover(VerifyMode.NONE, null).run(false);
    assertThat(r.result()).isEqualTo(CutoverReport.Result.SWITCHED);
    assertThat(markers.emitted).containsExactly("c-1/1", "c-1/2");
    assertThat(r.markerRounds()).isEqualTo(2);
    assertThat(r.markerLsn()).isEqualTo("0/2000");
    assertThat(r.steps()).extracting(Step::name).contains("verify").doesNotContain("on-frozen");
  }

  @Test
  void aMarkerNotConfirmedInTimeAbortsReleasesAndSaysWhichPartitions() {
    markers.script.add(Script.PARTIAL);
    CutoverReport r = cutover(VerifyMode.FULL, "flip-flag").run(false);
    assertThat(r.result()).isEqualTo(CutoverReport.Result.ABORTED);
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.failedStep()).isEqualTo("drain");
    assertThat(r.reason()).contains("confirmed on 1 of 2").contains("missing: 1");
    assertThat(stepOf(r, "drain").outcome()).isEqualTo(Step.Outcome.TIMEOUT);
    assertThat(stepOf(r, "release").outcome()).isEqualTo(Step.Outcome.OK);
    assertThat(freeze.released).isEqualTo(1);
    assertThat(hooks.ran).isEmpty();
    assertThat(store.last("aborted").get("step").asText()).isEqualTo("drain");
    assertThat(r.pauseMs()).isNotNull();
    assertThat(r.toJson().get("result").asText()).isEqualTo("aborted");
  }

  @Test
  void differencesFoundByTheVerifyAbort() {
    verifier.equal = false;
    CutoverReport r = cutover(VerifyMode.CHANGED, "flip-flag").run(false);
    assertThat(r.failedStep()).isEqualTo("verify");
    assertThat(r.reason()).contains("1 differences").contains("users [7]");
    assertThat(freeze.released).isEqualTo(1);
    assertThat(hooks.ran).isEmpty();
    assertThat(store.last("verifying").get("verify").get("equal").asBoolean()).isFalse();
    assertThat(store.last("verifying").get("verify").has("baselineLsn")).isFalse();
  }

  @Test
  void changedVerifiesSinceTheLastCleanBaselineElseEverything() {
    cutover(VerifyMode.CHANGED, null).run(false);
    assertThat(verifier.since).isNull(); // none recorded
    store.lastVerify = new Readiness.LastVerify("c-0", true, 1L, 0x500L);
    cutover(VerifyMode.CHANGED, null).run(false);
    assertThat(verifier.since).isEqualTo(0x500L);
    assertThat(verifier.frozen).isTrue();
  }

  @Test
  void aFailingHookAborts() {
    hooks.fail = true;
    CutoverReport r = cutover(VerifyMode.NONE, "exit 3").run(false);
    assertThat(r.failedStep()).isEqualTo("on-frozen");
    assertThat(r.reason()).contains("exited 3");
    assertThat(freeze.released).isEqualTo(1);
    assertThat(store.states()).doesNotContain("switched").endsWith("aborted");
  }

  @Test
  void aSignalDuringTheDrainAbortsAndReleases() {
    markers.script.add(Script.CANCEL);
    CutoverReport r = cutover(VerifyMode.FULL, null).run(false);
    assertThat(r.result()).isEqualTo(CutoverReport.Result.ABORTED);
    assertThat(stepOf(r, "drain").outcome()).isEqualTo(Step.Outcome.CANCELLED);
    assertThat(r.reason()).contains("SIGINT");
    assertThat(freeze.released).isEqualTo(1);
  }

  @Test
  void aFreezeThatCannotBeTakenAbortsBeforeAnyMarker() {
    freeze.fail = true;
    CutoverReport r = cutover(VerifyMode.FULL, null).run(false);
    assertThat(r.failedStep()).isEqualTo("freeze");
    assertThat(r.reason()).contains("a long transaction");
    assertThat(markers.emitted).isEmpty();
    // writers queued behind the lock while it waited: that time is paused too
    assertThat(r.pauseMs()).isNotNull();
    assertThat(freeze.released).isEqualTo(1);
  }

  @Test
  void notReadyDoesNothingAndCheckStopsAfterTheChecks() {
    readiness =
        new ReadinessReport(
            List.of(
                new Check("orphans", "3 rows held", Check.Verdict.NOT_OK, "insert the parents")));
    CutoverReport r = cutover(VerifyMode.FULL, null).run(false);
    assertThat(r.result()).isEqualTo(CutoverReport.Result.NOT_READY);
    assertThat(r.reason()).contains("orphans: 3 rows held: insert the parents");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(freeze.acquired).isZero();
    assertThat(store.records).isEmpty();

    readiness = new ReadinessReport(List.of(new Check("stages", "ok", Check.Verdict.OK, null)));
    CutoverReport check = cutover(VerifyMode.FULL, null).run(true);
    assertThat(check.result()).isEqualTo(CutoverReport.Result.READY);
    assertThat(check.exitCode()).isZero();
    assertThat(check.steps()).extracting(Step::name).containsExactly("readiness");
    assertThat(freeze.acquired).isZero();
    assertThat(check.toJson().get("result").asText()).isEqualTo("ready");
  }

  @Test
  void stateRecordsThatFailAreWarningsButTheSwitchMustBeRecorded() {
    store.failAllBut = "switched";
    CutoverReport r = cutover(VerifyMode.NONE, null).run(false);
    assertThat(r.result()).isEqualTo(CutoverReport.Result.SWITCHED);
    assertThat(r.warnings()).anyMatch(w -> w.contains("state draining not recorded"));

    store.failAllBut = "none";
    FakeFreeze before = freeze;
    CutoverReport r2 = cutover(VerifyMode.NONE, null).run(false);
    assertThat(r2.result()).isEqualTo(CutoverReport.Result.ABORTED);
    assertThat(r2.failedStep()).isEqualTo("record");
    assertThat(before.released).isEqualTo(2);
  }

  @Test
  void noFreezeWithoutASwitchHookIsARehearsal() {
    Cutover c =
        new Cutover(
            new Cutover.Plan(
                "r-1",
                "p",
                Duration.ofSeconds(2),
                Duration.ofSeconds(1),
                VerifyMode.FULL,
                null,
                null,
                Duration.ofSeconds(1)),
            new Cutover.Parts(
                () -> readiness,
                Freeze.NONE,
                markers,
                verifier,
                hooks,
                store,
                cancelled::get,
                printed::add));
    CutoverReport r = c.run(false);
    assertThat(r.result()).isEqualTo(CutoverReport.Result.REHEARSED);
    assertThat(r.exitCode()).isZero();
    assertThat(r.pauseMs()).isZero();
    assertThat(store.states()).endsWith("rehearsed").doesNotContain("switched");
    assertThat(verifier.frozen).isFalse();
    // writes went on: the baseline is the quiet point the verifier found, not the marker
    assertThat(store.last("verifying").get("verify").get("baselineLsn").asLong()).isEqualTo(0x900);
  }

  @Test
  void theReportPrintsTheTimelinePauseAndMarker() {
    CutoverReport r = cutover(VerifyMode.FULL, null).run(false);
    java.io.StringWriter s = new java.io.StringWriter();
    r.print(new java.io.PrintWriter(s));
    assertThat(s.toString())
        .contains("check  stages")
        .contains("step   freeze")
        .contains("write pause: ")
        .contains("marker: LSN 0/1000, 1 round, source 10 ms, transformer 20 ms, sink 30 ms")
        .contains("result: switched");
  }

  private static Step stepOf(CutoverReport r, String name) {
    return r.steps().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  // ---------------------------------------------------------------------------------------------

  static final class FakeFreeze implements Freeze {
    int acquired;
    int released;
    boolean fail;

    @Override
    public FreezeMode mode() {
      return FreezeMode.LOCK;
    }

    @Override
    public String acquire(Duration timeout) throws CutoverException {
      if (fail) {
        throw new CutoverException("a long transaction holds them");
      }
      acquired++;
      return "locked";
    }

    @Override
    public String release() {
      released++;
      return null;
    }
  }

  enum Script {
    DRAINED,
    HELD,
    PARTIAL,
    CANCEL
  }

  final class FakeMarkers implements MarkerPort {
    final Deque<Script> script = new ArrayDeque<>();
    final List<String> emitted = new ArrayList<>();

    @Override
    public Marker emit(String id) {
      emitted.add(id);
      return new Marker("p", id, 0x1000L * emitted.size(), 1_000);
    }

    @Override
    public MarkerProgress await(Marker m, Duration timeout, BooleanSupplier cancel) {
      Script s = script.isEmpty() ? Script.DRAINED : script.poll();
      Map<Integer, Confirmation> c = new HashMap<>();
      if (s == Script.CANCEL) {
        cancelled.set(true);
        return new MarkerProgress(m, PARTITIONS, c);
      }
      int n = s == Script.PARTIAL ? 1 : PARTITIONS;
      for (int p = 0; p < n; p++) {
        c.put(p, new Confirmation(p, s == Script.HELD ? 2 : 0, 1_010, 1_030, 1_060 - p));
      }
      return new MarkerProgress(m, PARTITIONS, c);
    }
  }

  static final class FakeVerify implements MirrorVerify {
    boolean equal = true;
    Long since;
    boolean frozen;

    @Override
    public Result verify(
        VerifyMode mode, Long sinceLsn, boolean frozen, Duration timeout, BooleanSupplier c) {
      this.since = sinceLsn;
      this.frozen = frozen;
      return equal
          ? new Result(true, "3 tables", List.of(), 0)
          : new Result(false, "3 tables", List.of("users [7]: missing in Convex"), 1);
    }

    @Override
    public Long quietLsn() {
      return 0x900L;
    }
  }

  static final class FakeHooks implements Hooks {
    final List<String> ran = new ArrayList<>();
    Map<String, String> env;
    boolean fail;

    @Override
    public void run(
        String name, String command, Map<String, String> env, Duration t, BooleanSupplier c)
        throws CutoverException {
      if (fail) {
        throw new CutoverException("--" + name + " exited 3");
      }
      ran.add(name + ":" + command);
      this.env = env;
    }
  }

  static final class FakeStore implements CutoverStore {
    final List<Map.Entry<String, ObjectNode>> records = new ArrayList<>();
    Readiness.LastVerify lastVerify;
    String failAllBut;

    @Override
    public void record(String cutoverId, State state, ObjectNode fields) throws Exception {
      if (failAllBut != null && !failAllBut.equals(state.word())) {
        throw new Exception("Convex answered 503");
      }
      if ("none".equals(failAllBut)) {
        throw new Exception("Convex answered 503");
      }
      records.add(Map.entry(state.word(), fields.deepCopy()));
    }

    @Override
    public Readiness.LastVerify lastVerify() {
      return lastVerify;
    }

    List<String> states() {
      return records.stream().map(Map.Entry::getKey).toList();
    }

    JsonNode last(String state) {
      JsonNode found = Json.NODES.objectNode();
      for (var e : records) {
        if (e.getKey().equals(state)) {
          found = e.getValue();
        }
      }
      return found;
    }
  }
}
