package dev.pgconvex.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HumanTest {
  @Test
  void countsAreExactWhenSmallAndShortWhenLarge() {
    assertThat(Human.count(0)).isEqualTo("0");
    assertThat(Human.count(1234)).isEqualTo("1,234");
    assertThat(Human.count(9999)).isEqualTo("9,999");
    assertThat(Human.count(12_345)).isEqualTo("12.3k");
    assertThat(Human.count(999_949)).isEqualTo("999.9k");
    assertThat(Human.count(999_950)).isEqualTo("1.0M"); // never "1000.0k"
    assertThat(Human.count(1_234_567)).isEqualTo("1.2M");
    assertThat(Human.count(3_400_000_000L)).isEqualTo("3.4G");
    assertThat(Human.count(-12_345)).isEqualTo("-12.3k");
  }

  @Test
  void ratesReadLikeRowsPerSecond() {
    assertThat(Human.rate(0)).isEqualTo("0/s");
    assertThat(Human.rate(Double.NaN)).isEqualTo("0/s");
    assertThat(Human.rate(0.42)).isEqualTo("0.4/s");
    assertThat(Human.rate(35.4)).isEqualTo("35/s");
    assertThat(Human.rate(1234)).isEqualTo("1.2k/s");
    assertThat(Human.rate(2_500_000)).isEqualTo("2.5M/s");
  }

  @Test
  void durationsPickTheirUnit() {
    assertThat(Human.millis(350)).isEqualTo("350 ms");
    assertThat(Human.millis(2_140)).isEqualTo("2.1 s");
    assertThat(Human.millis(180_000)).isEqualTo("3 min");
    assertThat(Human.millis(9_000_000)).isEqualTo("2.5 h");
    assertThat(Human.millis(3 * 86_400_000L)).isEqualTo("3 d");
    assertThat(Human.millis(-1)).isEqualTo("–");
  }

  @Test
  void bytesInBinaryUnits() {
    assertThat(Human.bytes(512)).isEqualTo("512 B");
    assertThat(Human.bytes(12 * 1024)).isEqualTo("12.0 KiB");
    assertThat(Human.bytes(3_565_158)).isEqualTo("3.4 MiB");
    assertThat(Human.bytes(-1)).isEqualTo("unknown");
  }

  @Test
  void agoIsRelativeToNow() {
    long now = 1_000_000_000L;
    assertThat(Human.ago(now, now)).isEqualTo("just now");
    assertThat(Human.ago(now + 5_000, now)).isEqualTo("just now"); // a clock ahead: not negative
    assertThat(Human.ago(now - 12_000, now)).isEqualTo("12 s ago");
    assertThat(Human.ago(now - 150_000, now)).isEqualTo("2 min ago");
    assertThat(Human.ago(now - 7_200_000, now)).isEqualTo("2 h ago");
    assertThat(Human.ago(now - 3 * 86_400_000L, now)).isEqualTo("3 d ago");
  }
}
