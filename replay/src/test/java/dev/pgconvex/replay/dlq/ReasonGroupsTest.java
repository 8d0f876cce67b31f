package dev.pgconvex.replay.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.model.DeadLetter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReasonGroupsTest {
  private static DeadLetterEntry entry(
      int offset, String stage, String reason, int partition, boolean replayed) {
    DeadLetter d =
        new DeadLetter(stage, reason, "p.public.notes", partition, 7, "{\"id\":1}", "{}", 1000L);
    return new DeadLetterEntry(0, offset, d, "notes", 1, replayed);
  }

  @Test
  void theSameProblemOfManyRowsIsOneGroup() {
    assertThat(
            ReasonGroups.pattern(
                "notes.counter: number value '9007199254740993' does not fit a float64 exactly"))
        .isEqualTo("notes.counter: number value '…' does not fit a float64 exactly");
    assertThat(
            ReasonGroups.pattern("posts key [10]: held 300 s waiting (authorId -> users key [1])"))
        .isEqualTo("posts key […]: held N s waiting (authorId -> users key […])");
    List<ReasonGroups.Group> groups =
        ReasonGroups.group(
            List.of(
                entry(0, "sink", "rejected \"x\"", 1, false),
                entry(1, "transformer", "a 'v1' b", 0, false),
                entry(2, "transformer", "a 'v2' b", 0, false),
                entry(3, "sink", "a 'v3' b", 0, false)));
    assertThat(groups)
        .extracting(
            ReasonGroups.Group::stage, ReasonGroups.Group::reason, ReasonGroups.Group::count)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("transformer", "a '…' b", 2),
            org.assertj.core.groups.Tuple.tuple("sink", "rejected \"…\"", 1),
            org.assertj.core.groups.Tuple.tuple("sink", "a '…' b", 1));
  }

  @Test
  void replayDecisionsSkipOrphanReportsAndWhatWasReplayed() {
    List<DlqReplay.Decision> d =
        DlqReplay.decide(
            List.of(
                entry(0, "transformer", "bad", 0, false),
                entry(1, "transformer", "orphan", -1, false),
                entry(2, "transformer", "bad", 0, true)),
            false);
    assertThat(d).extracting(DlqReplay.Decision::reinject).containsExactly(true, false, false);
    assertThat(d.get(0).why()).isEqualTo("to p.public.notes:0 (attempt 2)");
    assertThat(d.get(1).why()).startsWith("an orphan report");
    assertThat(d.get(2).why()).startsWith("already replayed");
    assertThat(
            DlqReplay.decide(List.of(entry(2, "transformer", "bad", 0, true)), true)
                .get(0)
                .reinject())
        .as("--again")
        .isTrue();
    assertThat(
            DlqReplay.decide(
                    List.of(entry(0, "transformer", "bad", 0, false)), false, java.util.Set.of("x"))
                .get(0)
                .why())
        .startsWith("its topic p.public.notes no longer exists");
  }

  @Test
  void filtersAndTables() {
    DeadLetterEntry e = entry(0, "transformer", "Value Too Large", 0, false);
    assertThat(new DeadLetters.Filter(null, "TRANSFORMER", "public.notes", "too large").test(e))
        .isTrue();
    assertThat(new DeadLetters.Filter(null, "sink", null, null).test(e)).isFalse();
    assertThat(new DeadLetters.Filter(null, null, "users", null).test(e)).isFalse();
    assertThat(
            new DeadLetters.Filter(java.time.Instant.ofEpochMilli(1001), null, null, null).test(e))
        .isFalse();
    Topics t = new Topics("p");
    assertThat(DeadLetters.tableOf(e.letter(), t)).isEqualTo("notes");
    assertThat(
            DeadLetters.tableOf(
                new DeadLetter("sink", "r", "p.ops", 0, 1, "threads/[7]", "x", 1), t))
        .isEqualTo("threads");
    assertThat(DeadLetters.parse("not json", "k", 5).stage()).isEqualTo("unknown");
    assertThat(
            DeadLetters.parse(
                    "{\"stage\":\"sink\",\"reason\":\"r\",\"topic\":\"p.ops\",\"partition\":2,"
                        + "\"offset\":9,\"key\":\"a/[1]\",\"value\":\"v\",\"ts\":3}",
                    null,
                    0)
                .offset())
        .isEqualTo(9);
  }
}
