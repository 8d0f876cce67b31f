package dev.pgconvex.transformer.internals;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.transformer.internals.PendingCounts.HeldRow;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldRowTest {
  private static RowState waiting(Long since, boolean reported) {
    return new RowState(
        "p",
        1,
        null,
        null,
        List.of(new RowState.Rel("userId", "users/[1]", false, null, false)),
        false,
        false,
        since,
        reported);
  }

  @Test
  void aRowIsDueOnceItWaitedTheTimeoutUnlessReportedOrNotWaiting() {
    assertThat(HeldRow.of(waiting(1_000L, false)).due(1_999, 1_000)).isFalse();
    assertThat(HeldRow.of(waiting(1_000L, false)).due(2_000, 1_000)).isTrue();
    assertThat(HeldRow.of(waiting(null, false)).due(0, 1_000)).as("clock not started").isTrue();
    assertThat(HeldRow.of(waiting(1_000L, true)).due(9_000, 1_000)).isFalse();
    RowState optionalOnly =
        new RowState(
            "p",
            1,
            null,
            null,
            List.of(new RowState.Rel("editorId", "users/[1]", true, null, false)),
            false,
            false);
    assertThat(HeldRow.of(optionalOnly).due(9_000, 1_000)).isFalse();
  }

  @Test
  void theCountsKeepTheLatestStateOfEachHeldRowUntilReleased() {
    PendingCounts counts = new PendingCounts();
    counts.held("0_1", "posts/[1]", HeldRow.of(waiting(5L, false)));
    counts.held("0_1", "posts/[1]", HeldRow.of(waiting(5L, true)));
    counts.held("0_1", "posts/[2]", HeldRow.of(waiting(7L, false)));
    assertThat(counts.heldRows("0_1"))
        .containsEntry("posts/[1]", new HeldRow(5L, true, true))
        .hasSize(2);
    counts.released("0_1", "posts/[2]");
    assertThat(counts.heldRows("0_1")).containsOnlyKeys("posts/[1]");
    assertThat(counts.heldRows("0_2")).isEmpty();
  }
}
