package dev.pgconvex.cutover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.operations.ChainStatus;
import dev.pgconvex.operations.Verdict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReadinessTest {
  static final Readiness.Limits LIMITS = new Readiness.Limits(5_000, 4, 0, false, 5_000);
  static final Readiness.LastVerify CLEAN = new Readiness.LastVerify("c-0", true, 1L, 100L);

  static SourceStatus source(StageState s, boolean snapshotDone) {
    return new SourceStatus(
        s, "streaming", null, 10, 10, 0, "reserved", true, 0, 5, snapshotDone, 0);
  }

  static TransformerStatus transformer(long pending, long deadLetters) {
    return new TransformerStatus(
        StageState.RUNNING,
        "running",
        null,
        "RUNNING",
        pending,
        pending > 0 ? 9_000L : null,
        deadLetters);
  }

  static SinkStatus sink(int partitions, Long lag, long deadLetters, long failingForMs) {
    return new SinkStatus(
        StageState.RUNNING,
        "running",
        failingForMs > 0 ? new LastError("Convex answered 503", 1L) : null,
        partitions,
        1L,
        lag,
        "0000000000000010:00000000",
        4,
        0,
        0,
        deadLetters,
        failingForMs);
  }

  static ChainStatus chain(Long lag, StageStatus... stages) {
    Map<String, StageStatus> m = new LinkedHashMap<>();
    for (StageStatus s : stages) {
      m.put(s.stage(), s);
    }
    return new ChainStatus(Verdict.CAUGHT_UP, null, lag, m, List.of());
  }

  static ChainStatus healthy() {
    return chain(400L, source(StageState.RUNNING, true), transformer(0, 0), sink(4, 400L, 0, 0));
  }

  private static Check check(ReadinessReport r, String name) {
    return r.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aHealthyPipelineIsReadyWithEveryCheckListed() {
    ReadinessReport r = Readiness.evaluate(healthy(), CLEAN, LIMITS);
    assertThat(r.ready()).isTrue();
    assertThat(r.checks())
        .extracting(Check::name)
        .containsExactly(
            "stages",
            "endToEndLag",
            "orphans",
            "schemaDrift",
            "deadLetters",
            "partitions",
            "lastVerify");
    assertThat(r.checks()).allMatch(c -> c.verdict() == Check.Verdict.OK && c.value() != null);
    assertThat(check(r, "endToEndLag").value()).isEqualTo("400 ms (at most 5000 ms)");
    assertThat(r.reasons()).isEmpty();
  }

  @Test
  void aLaggingPipelineIsNotReady() {
    ChainStatus c =
        chain(9_000L, source(StageState.RUNNING, true), transformer(0, 0), sink(4, 9_000L, 0, 0));
    ReadinessReport r = Readiness.evaluate(c, CLEAN, LIMITS);
    assertThat(r.ready()).isFalse();
    assertThat(check(r, "endToEndLag").verdict()).isEqualTo(Check.Verdict.NOT_OK);
    assertThat(r.reasons()).contains("endToEndLag: 9000 ms").contains("--max-lag-ms");
    ChainStatus unknown =
        chain(null, source(StageState.RUNNING, true), transformer(0, 0), sink(4, null, 0, 0));
    assertThat(Readiness.evaluate(unknown, CLEAN, LIMITS).reasons()).contains("nothing applied");
  }

  @Test
  void aTableHeldForSchemaDriftIsNotReady() {
    TransformerStatus held =
        new TransformerStatus(
            StageState.RUNNING,
            "running",
            null,
            "RUNNING",
            0,
            null,
            0,
            List.of(
                new TransformerStatus.Held(
                    "public.users",
                    12,
                    "00000000000000C8:00000000",
                    1L,
                    "public.users: `name` gone and `full_name` added: renamed?; the table's changes"
                        + " are held")));
    ChainStatus c = chain(100L, source(StageState.RUNNING, true), held, sink(4, 100L, 0, 0));
    ReadinessReport r = Readiness.evaluate(c, CLEAN, LIMITS);
    assertThat(r.ready()).isFalse();
    assertThat(check(r, "schemaDrift").value()).isEqualTo("public.users (12 changes held)");
    assertThat(check(r, "schemaDrift").reason())
        .contains("renamed?")
        .contains("restart the transformer");
  }

  @Test
  void orphansAndDeadLettersBlockUntilAcknowledged() {
    ChainStatus c =
        chain(100L, source(StageState.RUNNING, true), transformer(3, 1), sink(4, 100L, 2, 0));
    ReadinessReport r = Readiness.evaluate(c, CLEAN, LIMITS);
    assertThat(check(r, "orphans").verdict()).isEqualTo(Check.Verdict.NOT_OK);
    assertThat(check(r, "orphans").value()).startsWith("3 rows held");
    assertThat(check(r, "deadLetters").verdict()).isEqualTo(Check.Verdict.NOT_OK);
    assertThat(check(r, "deadLetters").reason()).contains("--accept-dead-letters 3");
    ReadinessReport acked =
        Readiness.evaluate(c, CLEAN, new Readiness.Limits(5_000, 4, 3, false, 5_000));
    assertThat(check(acked, "deadLetters").verdict()).isEqualTo(Check.Verdict.OK);
    // held for less than the lag bound: in flight (a child waiting for its parent's id), not
    // orphans
    ReadinessReport young = Readiness.evaluate(c, CLEAN, new Readiness.Limits(10_000, 4, 3));
    assertThat(check(young, "orphans").verdict()).isEqualTo(Check.Verdict.OK);
    assertThat(check(young, "orphans").value()).endsWith("in flight");
  }

  @Test
  void aMissingFailedOrFailingStageIsNotReady() {
    ChainStatus missing = chain(100L, source(StageState.RUNNING, true), sink(4, 100L, 0, 0));
    ReadinessReport r = Readiness.evaluate(missing, CLEAN, LIMITS);
    assertThat(check(r, "stages").reason()).contains("transformer not found");
    assertThat(check(r, "orphans").verdict()).isEqualTo(Check.Verdict.NOT_OK);

    ChainStatus failing =
        chain(100L, source(StageState.FAILED, true), transformer(0, 0), sink(4, 100L, 0, 7_000));
    Check stages = check(Readiness.evaluate(failing, CLEAN, LIMITS), "stages");
    assertThat(stages.verdict()).isEqualTo(Check.Verdict.NOT_OK);
    assertThat(stages.reason()).contains("source is failed").contains("failed for 7000 ms");

    ChainStatus unreachable =
        new ChainStatus(
            Verdict.FAILING, "x", null, Map.of(), List.of("http://h:1: cannot connect"));
    assertThat(check(Readiness.evaluate(unreachable, CLEAN, LIMITS), "stages").reason())
        .contains("http://h:1: cannot connect");

    ChainStatus snapshot =
        chain(100L, source(StageState.RUNNING, false), transformer(0, 0), sink(4, 100L, 0, 0));
    assertThat(check(Readiness.evaluate(snapshot, CLEAN, LIMITS), "stages").reason())
        .contains("snapshot is still running");
  }

  @Test
  void theBackgroundVerifyCountsWhenItIsNewer() {
    ChainStatus base = healthy();
    java.util.function.Function<dev.pgconvex.common.status.VerifyStatus, ChainStatus> with =
        base::withVerify;
    var diverged =
        new dev.pgconvex.common.status.VerifyStatus(
            true, 0L, 14, 0, 5_000L, 2, Map.of("users", 2L), null);
    var clean =
        new dev.pgconvex.common.status.VerifyStatus(
            true, 0L, 15, 0, 6_000L, 0, Map.of("users", 0L), null);
    // newer than the cutover's clean verify (at 1): its differences block
    Check c = check(Readiness.evaluate(with.apply(diverged), CLEAN, LIMITS), "lastVerify");
    assertThat(c.verdict()).isEqualTo(Check.Verdict.NOT_OK);
    assertThat(c.value()).contains("background verify: 2 keys differ");
    // a clean pass makes an old dirty cutover verify irrelevant
    Readiness.LastVerify dirty = new Readiness.LastVerify("c-9", false, 1L, null);
    assertThat(check(Readiness.evaluate(with.apply(clean), dirty, LIMITS), "lastVerify").verdict())
        .isEqualTo(Check.Verdict.OK);
    // a cutover verify newer than the pass wins
    Readiness.LastVerify newer = new Readiness.LastVerify("c-10", true, 9_000L, 5L);
    assertThat(check(Readiness.evaluate(with.apply(diverged), newer, LIMITS), "lastVerify").value())
        .isEqualTo("clean (cutover c-10)");
  }

  @Test
  void theSinksMustOwnEveryPartition() {
    ChainStatus c =
        chain(100L, source(StageState.RUNNING, true), transformer(0, 0), sink(2, 100L, 0, 0));
    Check p = check(Readiness.evaluate(c, CLEAN, LIMITS), "partitions");
    assertThat(p.verdict()).isEqualTo(Check.Verdict.NOT_OK);
    assertThat(p.value()).isEqualTo("the sinks own 2 of 4");
  }

  @Test
  void noRecordedVerifyIsUnknownAndDoesNotBlockADirtyOneDoes() {
    ReadinessReport none = Readiness.evaluate(healthy(), null, LIMITS);
    assertThat(none.ready()).isTrue();
    assertThat(check(none, "lastVerify").verdict()).isEqualTo(Check.Verdict.UNKNOWN);
    ReadinessReport dirty =
        Readiness.evaluate(healthy(), new Readiness.LastVerify("c-9", false, 1L, null), LIMITS);
    assertThat(dirty.ready()).isFalse();
    assertThat(check(dirty, "lastVerify").value()).isEqualTo("differences (cutover c-9)");
    // a full verify is how a clean one gets recorded again: it is not blocked
    ReadinessReport full =
        Readiness.evaluate(
            healthy(),
            new Readiness.LastVerify("c-9", false, 1L, null),
            new Readiness.Limits(5_000, 4, 0, true, 5_000));
    assertThat(full.ready()).isTrue();
    assertThat(check(full, "lastVerify").verdict()).isEqualTo(Check.Verdict.UNKNOWN);
  }
}
