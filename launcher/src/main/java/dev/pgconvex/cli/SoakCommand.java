package dev.pgconvex.cli;

import dev.pgconvex.cli.soak.SoakSettings;
import dev.pgconvex.cli.soak.Soaks;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.soak.Fault;
import dev.pgconvex.soak.SoakReport;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc soak}: kills every stage, restarts every server and checks nothing was lost. Exit
 * codes: 0 every round equal, 1 anything lost, duplicated or different (the seed to reproduce it is
 * printed), 2 bad input.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description =
        "Reliability soak on the embedded stack: the three stages as their own processes under a"
            + " mixed write load, killed and restarted, the broker, Postgres and the emulator"
            + " restarted, Convex errors injected; after each round the mirror is compared with"
            + " Postgres by content. Exit 0 when nothing was lost, duplicated or different.")
final class SoakCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--rounds",
      defaultValue = "10",
      description = "Rounds to run (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--rows-per-s",
      defaultValue = "200",
      description =
          "Row changes per second the load commits while a round runs (default: ${DEFAULT-VALUE}).")
  int rowsPerSecond;

  @Option(
      names = "--round-s",
      defaultValue = "60",
      description =
          "Seconds of load per round; the faults strike at a seeded moment in it (default: ${DEFAULT-VALUE}).")
  int roundSeconds;

  @Option(
      names = "--faults",
      defaultValue = "all",
      description =
          "Comma-separated faults the rounds draw from: kill-source, kill-transformer, kill-sink,"
              + " kill-two, broker-restart, postgres-restart, emulator-restart, convex-errors,"
              + " producer-failure, scale-out, or all (default: ${DEFAULT-VALUE}).")
  String faults;

  @Option(
      names = "--seed",
      description =
          "Seed of the plan and the load; the same seed replays the same plan (default: random, printed).")
  Long seed;

  @Option(
      names = "--broker-down-s",
      defaultValue = "30",
      description =
          "How long broker-restart keeps the Kafka broker stopped (default: ${DEFAULT-VALUE}).")
  int brokerDownSeconds;

  @Option(
      names = "--producer-down-s",
      defaultValue = "5",
      description =
          "How long producer-failure keeps the broker away while the sink publishes ids and dead"
              + " letters (default: ${DEFAULT-VALUE}).")
  int producerDownSeconds;

  @Option(
      names = "--fault-rate",
      defaultValue = "0.1",
      description =
          "Share of Convex calls convex-errors hits with 503, 429, a dropped connection or latency (default: ${DEFAULT-VALUE}).")
  double faultRate;

  @Option(
      names = "--converge-timeout-s",
      defaultValue = "300",
      description =
          "How long a round may take to converge after the load pauses (default: ${DEFAULT-VALUE}).")
  int convergeTimeoutSeconds;

  @Option(
      names = "--seed-rows",
      defaultValue = "100",
      description =
          "Accounts (each with projects, tasks and some teams) written before the snapshot (default: ${DEFAULT-VALUE}).")
  int seedAccounts;

  @Option(
      names = "--work-dir",
      defaultValue = ".cdc/soak",
      description =
          "Where the servers' data and the stages' configs and logs live; wiped at start (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(
      names = "--stage-jvm-opts",
      defaultValue = "-Xmx512m -XX:+UseSerialGC",
      description =
          "Options of each stage's JVM, separated by spaces (default: ${DEFAULT-VALUE}; the serial"
              + " collector because the stages share the machine's cores).")
  String stageJvmOptions;

  @Option(names = "--json", description = "Print the results as JSON on standard output.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    List<String> problems = new ArrayList<>();
    List<Fault> list = List.of();
    try {
      list = Fault.parseList(faults);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    positive(problems, "--rounds", rounds);
    positive(problems, "--rows-per-s", rowsPerSecond);
    positive(problems, "--round-s", roundSeconds);
    positive(problems, "--broker-down-s", brokerDownSeconds);
    positive(problems, "--producer-down-s", producerDownSeconds);
    positive(problems, "--converge-timeout-s", convergeTimeoutSeconds);
    positive(problems, "--seed-rows", seedAccounts);
    if (!(faultRate >= 0 && faultRate <= 1)) {
      problems.add("--fault-rate: must be between 0 and 1, not " + faultRate);
    }
    if (!problems.isEmpty()) {
      // one line, exit 2: bad input, nothing started
      spec.commandLine().getErr().println("error: " + String.join("; ", problems));
      return 2;
    }
    long s = seed != null ? seed : new java.security.SecureRandom().nextLong();
    SoakSettings settings =
        new SoakSettings(
            rounds,
            rowsPerSecond,
            roundSeconds,
            list,
            s,
            brokerDownSeconds,
            producerDownSeconds,
            faultRate,
            convergeTimeoutSeconds,
            seedAccounts,
            workDir,
            stageJvmOptions);
    System.err.println("soak: seed " + s + " (--seed " + s + " replays this plan)");
    SoakReport report = Soaks.run(settings, System.err, reproduce(s));
    PrintWriter out =
        new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    if (json) {
      out.println(Json.write(report.toJson()));
    } else {
      report.print(out);
    }
    out.flush();
    return report.passed() ? 0 : 1;
  }

  private String reproduce(long s) {
    return String.format(
        java.util.Locale.ROOT,
        "./cdc soak --rounds %d --rows-per-s %d --round-s %d --faults %s --seed %d --broker-down-s %d"
            + " --producer-down-s %d --fault-rate %s --seed-rows %d --converge-timeout-s %d"
            + " --stage-jvm-opts '%s'",
        rounds,
        rowsPerSecond,
        roundSeconds,
        faults,
        s,
        brokerDownSeconds,
        producerDownSeconds,
        faultRate,
        seedAccounts,
        convergeTimeoutSeconds,
        stageJvmOptions);
  }

  private static void positive(List<String> problems, String name, int v) {
    if (v < 1) {
      problems.add(name + ": must be at least 1, not " + v);
    }
  }
}
