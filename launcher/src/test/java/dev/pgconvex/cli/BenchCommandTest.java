package dev.pgconvex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Bad input of {@code ./cdc bench}: one line, exit 2, nothing started. */
class BenchCommandTest {
  @Test
  void outOfRangeNumbersAreOneLineTogether() {
    CliRun r = CliRun.of("bench", "--rows", "0", "--runs", "0", "--warmup-rows", "-5");
    assertThat(r.code).as(r.out + r.err).isEqualTo(2);
    assertThat(r.err.strip().lines()).as(r.err).hasSize(1);
    assertThat(r.err)
        .startsWith("error: ")
        .contains(
            "--rows: must be at least 1, not 0",
            "--runs: must be at least 1, not 0",
            "--warmup-rows: must be 0 or more, not -5")
        .doesNotContain("Exception");
  }

  @Test
  void theHelpNamesTheWarmUp() {
    CliRun r = CliRun.of("bench", "--help");
    assertThat(r.code).isZero();
    assertThat(r.out).contains("--warmup-rows", "not counted");
  }
}
