package dev.pgconvex.cutover.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MarkerProgressTest {
  private final Marker m = new Marker("p", "c/1", 0x16B374D848L, 1);

  @Test
  void lsnsReadAndPrintAsPostgresDoes() {
    assertThat(MarkerEmitter.parseLsn("16/B374D848")).isEqualTo(0x16B374D848L);
    assertThat(MarkerEmitter.parseLsn("0/0")).isZero();
    assertThat(m.lsnText()).isEqualTo("16/B374D848");
  }

  @Test
  void drainedOnlyWhenEveryPartitionConfirmedWithNothingHeld() {
    Confirmation clean0 = new Confirmation(0, 0, 10, 20, 30);
    Confirmation clean1 = new Confirmation(1, 0, 11, 25, 40);
    Confirmation held1 = new Confirmation(1, 3, 11, 25, 40);

    MarkerProgress partial = new MarkerProgress(m, 2, Map.of(0, clean0));
    assertThat(partial.complete()).isFalse();
    assertThat(partial.drained()).isFalse();
    assertThat(partial.lastAt(Confirmation::appliedAtMs)).isEmpty();

    MarkerProgress withHeld = new MarkerProgress(m, 2, Map.of(0, clean0, 1, held1));
    assertThat(withHeld.complete()).isTrue();
    assertThat(withHeld.drained()).isFalse();
    assertThat(withHeld.held()).isEqualTo(3);

    MarkerProgress done = new MarkerProgress(m, 2, Map.of(0, clean0, 1, clean1));
    assertThat(done.drained()).isTrue();
    assertThat(done.lastAt(Confirmation::appliedAtMs)).hasValue(40);
    assertThat(done.lastAt(Confirmation::transformerAtMs)).hasValue(25);
  }
}
