package dev.pgconvex.sink.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void capDoublesUpToTheMax() {
    Backoff b = new Backoff(100, 10_000);
    assertThat(b.capMs(0)).isEqualTo(100);
    assertThat(b.capMs(1)).isEqualTo(200);
    assertThat(b.capMs(6)).isEqualTo(6400);
    assertThat(b.capMs(7)).isEqualTo(10_000);
    assertThat(b.capMs(500)).isEqualTo(10_000);
  }

  @Test
  void delaysAreFullJitterWithinTheCap() {
    Backoff b = new Backoff(100, 10_000);
    for (int attempt = 0; attempt < 20; attempt++) {
      for (int i = 0; i < 50; i++) {
        assertThat(b.delayMs(attempt)).isBetween(0L, b.capMs(attempt));
      }
    }
  }

  @Test
  void rejectsInvertedBounds() {
    assertThatThrownBy(() -> new Backoff(100, 10)).isInstanceOf(IllegalArgumentException.class);
  }
}
