package dev.pgconvex.common.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PositionTest {
  @Test
  void afterIsTheLowestPositionAbove() {
    String p = Position.of(0x16B3A28L, 7);
    assertThat(Position.after(p)).isEqualTo(Position.of(0x16B3A28L, 8));
    assertThat(Position.after(p)).isGreaterThan(p);
    // Any later change of the row has a higher LSN, so it still wins.
    assertThat(Position.of(0x16B3A29L, 0)).isGreaterThan(Position.after(p));
    assertThat(Position.after(Position.of(5, 0xFFFFFFFFL))).isEqualTo(Position.of(6, 0));
    assertThat(Position.after(Position.SNAPSHOT)).isEqualTo("0000000000000000:00000001");
  }
}
