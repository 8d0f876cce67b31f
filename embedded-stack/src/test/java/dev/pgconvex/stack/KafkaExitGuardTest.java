package dev.pgconvex.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.Test;

/** Issue 16: the in-process broker could exit the test JVM on a fatal error. */
class KafkaExitGuardTest {
  @Test
  void inProcessBrokerFatalErrorDoesNotExitTheJvm() {
    KafkaExitGuard.install();
    KafkaExitGuard.install(); // idempotent
    try {
      provokeBoth();
    } finally {
      KafkaExitGuard.forget();
    }
  }

  private static void provokeBoth() {
    assertThatThrownBy(() -> Exit.exit(1, "log directory failed"))
        .isInstanceOf(StackException.class)
        .hasMessageContaining("exit(1): log directory failed")
        .hasMessageContaining("refused");
    assertThat(KafkaExitGuard.refused()).isEqualTo("exit(1): log directory failed");
    assertThatThrownBy(() -> Exit.halt(2, "fenced"))
        .isInstanceOf(StackException.class)
        .hasMessageContaining("halt(2): fenced");
    // still here: neither System.exit nor Runtime.halt ran
    assertThat(KafkaExitGuard.refused()).isEqualTo("halt(2): fenced");
  }
}
