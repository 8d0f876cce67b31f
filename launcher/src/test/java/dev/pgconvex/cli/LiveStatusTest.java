package dev.pgconvex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LiveStatusTest {
  @Test
  void figuresAreFormattedForPeople() {
    assertThat(LiveStatus.Numbers.count(9_999)).isEqualTo("9,999");
    assertThat(LiveStatus.Numbers.count(12_345)).isEqualTo("12.3k");
    assertThat(LiveStatus.Numbers.count(1_250_000)).isEqualTo("1.3M");
    assertThat(LiveStatus.Numbers.millis(350)).isEqualTo("350 ms");
    assertThat(LiveStatus.Numbers.millis(2_140)).isEqualTo("2.1 s");
    assertThat(LiveStatus.Numbers.millis(185_000)).isEqualTo("3 min");
  }
}
