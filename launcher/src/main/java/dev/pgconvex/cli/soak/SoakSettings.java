package dev.pgconvex.cli.soak;

import dev.pgconvex.soak.Fault;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code ./cdc soak} runs; see {@code SoakCommand} for each option's meaning and default.
 *
 * @param rounds rounds to run
 * @param rowsPerSecond the load's rate of row changes while a round runs
 * @param roundSeconds how long the load runs in each round
 * @param faults the faults the rounds draw from
 * @param seed the plan's and the load's seed
 * @param brokerDownSeconds how long {@code broker-restart} keeps the broker away
 * @param producerDownSeconds how long {@code producer-failure} keeps it away
 * @param faultRate the share of Convex calls {@code convex-errors} hits
 * @param convergeTimeoutSeconds how long a round may take to converge after the load pauses
 * @param seedAccounts accounts (with projects, tasks, teams) written before the snapshot
 * @param workDir the servers' data, the stages' configs and logs (wiped at start)
 * @param stageJvmOptions the options of each stage's JVM, separated by spaces
 */
public record SoakSettings(
    int rounds,
    int rowsPerSecond,
    int roundSeconds,
    List<Fault> faults,
    long seed,
    int brokerDownSeconds,
    int producerDownSeconds,
    double faultRate,
    int convergeTimeoutSeconds,
    int seedAccounts,
    Path workDir,
    String stageJvmOptions) {
  public SoakSettings {
    faults = List.copyOf(faults);
  }
}
