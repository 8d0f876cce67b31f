package dev.pgconvex.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetsTest {
  private static final TopicPartition P0 = new TopicPartition("ops", 0);
  private static final TopicPartition P1 = new TopicPartition("ops", 1);
  private static final List<TopicPartition> TPS = List.of(P0, P1);
  private static final Instant T = Instant.parse("2026-12-01T14:00:00Z");

  private static ListOffsetsResultInfo at(long offset, long ts) {
    return new ListOffsetsResultInfo(offset, ts, Optional.empty());
  }

  @Test
  void toEarliestGoesToTheLogStartAndCountsWhatIsReadAgain() {
    List<PartitionMove> m =
        Offsets.moves(
            TPS,
            ReplayTarget.ToEarliest.INSTANCE,
            null,
            Map.of(P0, 100L),
            Map.of(P0, 0L, P1, 40L),
            Map.of(P0, 120L, P1, 90L),
            Map.of());
    assertThat(m)
        .containsExactly(
            new PartitionMove(P0, 100, 0, 0, 120), new PartitionMove(P1, -1, 40, 40, 90));
    assertThat(m.get(0).reread()).isEqualTo(100);
    assertThat(m.get(1).reread()).as("no committed offset: up to the end").isEqualTo(50);
    assertThat(Offsets.retentionNotes(m))
        .singleElement()
        .asString()
        .startsWith(
            "ops:1 starts at offset 40: the 40 records before it were removed by retention");
  }

  @Test
  void aTimeFindsTheFirstRecordAtOrAfterIt() {
    List<PartitionMove> m =
        Offsets.moves(
            TPS,
            new ReplayTarget.ToDatetime(T),
            T,
            Map.of(P0, 100L, P1, 80L),
            Map.of(P0, 0L, P1, 0L),
            Map.of(P0, 120L, P1, 90L),
            Map.of(P0, at(70, T.toEpochMilli() + 5), P1, at(-1, -1)));
    assertThat(m.get(0).target()).isEqualTo(70);
    assertThat(m.get(0).reread()).isEqualTo(30);
    assertThat(m.get(1).target()).as("nothing after the time: the end").isEqualTo(90);
    assertThat(m.get(1).reread()).as("ahead of the group: nothing").isZero();
  }

  @Test
  void aTimeBeforeWhatRetentionKeptIsRefused() {
    assertThatThrownBy(
            () ->
                Offsets.moves(
                    TPS,
                    new ReplayTarget.ToDatetime(T),
                    T,
                    Map.of(),
                    Map.of(P0, 50L, P1, 0L),
                    Map.of(P0, 120L, P1, 90L),
                    Map.of(P0, at(50, T.toEpochMilli() + 60_000), P1, at(3, T.toEpochMilli()))))
        .isInstanceOf(ReplayException.class)
        .hasMessageContaining("ops:0 keeps records only from 2026-12-01T14:01:00Z")
        .hasMessageContaining("removed by retention")
        .hasMessageContaining("nothing was changed");
  }

  @Test
  void explicitOffsetsMoveOnlyTheNamedPartitionsWithinTheLog() {
    List<PartitionMove> m =
        Offsets.moves(
            TPS,
            new ReplayTarget.ToOffsets(Map.of(P1, 60L)),
            null,
            Map.of(P0, 100L, P1, 80L),
            Map.of(P0, 0L, P1, 10L),
            Map.of(P0, 120L, P1, 90L),
            Map.of());
    assertThat(m).containsExactly(new PartitionMove(P1, 80, 60, 10, 90));
    assertThatThrownBy(
            () ->
                Offsets.moves(
                    TPS,
                    new ReplayTarget.ToOffsets(Map.of(P1, 5L)),
                    null,
                    Map.of(),
                    Map.of(P0, 0L, P1, 10L),
                    Map.of(P0, 120L, P1, 90L),
                    Map.of()))
        .hasMessageContaining("before the partition's earliest offset 10");
    assertThatThrownBy(
            () ->
                Offsets.moves(
                    TPS,
                    new ReplayTarget.ToOffsets(Map.of(P1, 91L)),
                    null,
                    Map.of(),
                    Map.of(P0, 0L, P1, 10L),
                    Map.of(P0, 120L, P1, 90L),
                    Map.of()))
        .hasMessageContaining("past the partition's end offset 90");
    assertThatThrownBy(
            () ->
                Offsets.moves(
                    TPS,
                    new ReplayTarget.ToOffsets(Map.of(new TopicPartition("other", 0), 1L)),
                    null,
                    Map.of(),
                    Map.of(P0, 0L, P1, 10L),
                    Map.of(P0, 120L, P1, 90L),
                    Map.of()))
        .hasMessageContaining(
            "other:0, which this stage does not read; its partitions are ops:0, ops:1");
  }

  @Test
  void thePlanPrintsOneLinePerPartition() {
    ReplayPlan plan =
        new ReplayPlan(
            "sink",
            "p-sink",
            "--to-earliest",
            List.of(new PartitionMove(P0, 100, 0, 0, 120), new PartitionMove(P1, -1, 40, 40, 90)),
            List.of("move"),
            List.of("careful"));
    assertThat(plan.totalReread()).isEqualTo(150);
    assertThat(plan.render())
        .containsExactly(
            "replay of the sink (group p-sink) --to-earliest",
            "TOPIC:PARTITION      CURRENT       TARGET      RE-READ    LOG-START",
            "ops:0                    100            0          100            0",
            "ops:1                      -           40           50           40",
            "records to re-read: 150",
            "step: move",
            "note: careful");
  }

  @Test
  void tableNamesMatchAcrossPostgresAndConvexSpelling() {
    assertThat(TableNames.normalize("public.user_profiles"))
        .isEqualTo(TableNames.normalize("userProfiles"))
        .isEqualTo(TableNames.normalize("pgconvex.public.user_profiles"));
    assertThat(TableNames.ofDocRef("threads/[7]")).isEqualTo("threads");
    assertThat(TableNames.ofDocRef("{\"id\":7}")).isNull();
    assertThat(
            TransformerReplay.isSourceTopic(
                new dev.pgconvex.common.config.Topics("p"), "p.public.users"))
        .isTrue();
    assertThat(TransformerReplay.isSourceTopic(new dev.pgconvex.common.config.Topics("p"), "p.ops"))
        .isFalse();
    assertThat(TransformerReplay.isInternal("p-transformer", "p-transformer-rows-changelog"))
        .isTrue();
    assertThat(TransformerReplay.isInternal("p-transformer", "p-transformer-rows-repartition"))
        .isTrue();
    assertThat(TransformerReplay.isInternal("p-transformer", "p.ids")).isFalse();
  }
}
