package dev.pgconvex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Bad input of {@code ./cdc soak}: one line, exit 2, nothing started. */
class SoakCommandTest {
  private static void refused(CliRun r, String... texts) {
    assertThat(r.code).as(r.out + r.err).isEqualTo(2);
    assertThat(r.err.strip().lines()).as(r.err).hasSize(1);
    assertThat(r.err).startsWith("error: ").contains(texts).doesNotContain("Exception");
  }

  @Test
  void anUnknownFaultIsNamedWithTheKnownOnes() {
    refused(
        CliRun.of("soak", "--faults", "kill-sink,kill-everything"),
        "unknown fault 'kill-everything'",
        "kill-transformer",
        "scale-out");
  }

  @Test
  void noFaultAtAllIsRefused() {
    refused(CliRun.of("soak", "--faults", ","), "no fault given");
  }

  @Test
  void outOfRangeNumbersAreOneLineTogether() {
    refused(
        CliRun.of("soak", "--rounds", "0", "--fault-rate", "1.5", "--rows-per-s", "-3"),
        "--rounds: must be at least 1, not 0",
        "--rows-per-s: must be at least 1, not -3",
        "--fault-rate: must be between 0 and 1, not 1.5");
  }

  @Test
  void theHelpListsTheFaultsAndDefaults() {
    CliRun r = CliRun.of("soak", "--help");
    assertThat(r.code).isZero();
    assertThat(r.out)
        .contains("--rounds", "--rows-per-s", "--faults", "--seed", "--json", "--broker-down-s")
        .contains("kill-transformer", "emulator-restart", "scale-out");
  }
}
