package dev.pgconvex.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryTest {
  @Test
  void ratesComeFromConsecutiveCountersAndARestartCountsAsNoChange() {
    History h = new History(3_600_000, 2_000);
    assertThat(h.record(0, 100L, 0L, 0L, 10L).appliedPerS()).isNull(); // nothing to compare yet
    History.Point p = h.record(2_000, 200L, 2_400L, 1_000L, 20L);
    assertThat(p.capturedPerS()).isEqualTo(1200.0);
    assertThat(p.appliedPerS()).isEqualTo(500.0);
    // the sink restarted: its counter starts again from 0
    assertThat(h.record(4_000, 200L, 2_400L, 10L, 20L).appliedPerS()).isZero();
    // a stage not answering: unknown, not zero
    History.Point gone = h.record(6_000, null, null, 20L, null);
    assertThat(gone.capturedPerS()).isNull();
    assertThat(gone.lagMs()).isNull();
    assertThat(h.record(8_000, 1L, 100L, 20L, 1L).capturedPerS()).isNull();
  }

  @Test
  void keepsTheLastHourOnlyOldestFirst() {
    History h = new History(10_000, 1_000); // 11 slots
    for (int i = 0; i < 25; i++) {
      h.record(i * 1_000L, (long) i, null, null, null);
    }
    List<History.Point> points = h.points(24_000);
    assertThat(points)
        .extracting(History.Point::lagMs)
        .containsExactly(14L, 15L, 16L, 17L, 18L, 19L, 20L, 21L, 22L, 23L, 24L);
    assertThat(h.points(30_000))
        .extracting(History.Point::lagMs)
        .containsExactly(20L, 21L, 22L, 23L, 24L);
    assertThat(h.latest().atMs()).isEqualTo(24_000);
    assertThat(new History(10_000, 1_000).latest()).isNull();
  }
}
