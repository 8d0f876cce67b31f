package dev.pgconvex.operations.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CounterWindowsTest {
  private static final long T0 = 1_800_000_000_000L;
  private static final long WINDOW = 60_000;
  private final CounterWindows c = new CounterWindows();

  private double at(long offsetMs, double value) {
    return c.increase("dead.letters", value, T0 + offsetMs, WINDOW);
  }

  @Test
  void theFirstSampleCountsZeroWhateverItsValue() {
    assertThat(at(0, 42)).isZero();
    assertThat(at(5_000, 42)).isZero();
  }

  @Test
  void increaseWithinTheWindow() {
    assertThat(at(0, 0)).isZero();
    assertThat(at(10_000, 3)).isEqualTo(3);
    assertThat(at(20_000, 7)).isEqualTo(7);
    assertThat(at(30_000, 7)).isEqualTo(7);
  }

  @Test
  void samplesOlderThanTheWindowDropOutOfTheBaseline() {
    assertThat(at(0, 0)).isZero();
    assertThat(at(30_000, 10)).isEqualTo(10);
    // The window is (30 s, 90 s]: the sample at 30 s is the baseline, the one at 0 is gone.
    assertThat(at(90_000, 12)).isEqualTo(2);
    // Nothing new for a whole window: no increase any more.
    assertThat(at(150_000, 12)).isEqualTo(0);
    assertThat(at(160_000, 13)).isEqualTo(1);
  }

  @Test
  void theNewestSampleAtOrBeforeTheWindowStartIsTheBaseline() {
    assertThat(at(0, 0)).isZero();
    // No sample at or after the window's start (40 s) but the one at 50 s: the one at 0 stays the
    // baseline, so the increase at 50 s is still counted.
    assertThat(at(50_000, 4)).isEqualTo(4);
    assertThat(at(100_000, 6)).isEqualTo(6);
    // Now 50 s is at or before the start (110 s - 60 s): it becomes the baseline.
    assertThat(at(110_000, 6)).isEqualTo(2);
  }

  @Test
  void aCounterThatGoesDownIsAResetNotANegativeIncrease() {
    assertThat(at(0, 10)).isZero();
    assertThat(at(10_000, 12)).isEqualTo(2);
    // The stage restarted: its counter starts from 0 again and is 3 now: 3 more since.
    assertThat(at(20_000, 3)).isEqualTo(5);
    assertThat(at(30_000, 4)).isEqualTo(6);
    // A second restart.
    assertThat(at(40_000, 1)).isEqualTo(7);
    // The window moves on: baseline the sample at 10 s (12) continued from the restarts.
    assertThat(at(70_000, 1)).isEqualTo(5);
  }

  @Test
  void aResetToZeroIsNoIncrease() {
    assertThat(at(0, 10)).isZero();
    assertThat(at(10_000, 0)).isZero();
    assertThat(at(20_000, 2)).isEqualTo(2);
  }

  @Test
  void countersAreKeptApartByName() {
    assertThat(c.increase("a", 0, T0, WINDOW)).isZero();
    assertThat(c.increase("b", 100, T0, WINDOW)).isZero();
    assertThat(c.increase("a", 5, T0 + 1_000, WINDOW)).isEqualTo(5);
    assertThat(c.increase("b", 101, T0 + 1_000, WINDOW)).isEqualTo(1);
    // A reset of b does not touch a.
    assertThat(c.increase("b", 1, T0 + 2_000, WINDOW)).isEqualTo(2);
    assertThat(c.increase("a", 6, T0 + 2_000, WINDOW)).isEqualTo(6);
  }
}
