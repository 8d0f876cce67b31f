package dev.pgconvex.soak;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The faults a soak round can inject, by the name {@code --faults} takes. Each is a real event on a
 * real part: a SIGKILL of a stage's process, a stop of the embedded broker or Postgres, a SIGKILL
 * of the emulator, errors of a real HTTP proxy in front of it, a second instance of the scalable
 * stages.
 */
public enum Fault {
  /** SIGKILL of the source's process at a random moment, restarted at once. */
  KILL_SOURCE("kill-source"),
  /** SIGKILL of the transformer's process, restarted at once (its Streams state dir kept). */
  KILL_TRANSFORMER("kill-transformer"),
  /** SIGKILL of the sink's process, restarted at once. */
  KILL_SINK("kill-sink"),
  /** SIGKILL of two stages at the same moment (which two comes from the seed). */
  KILL_TWO("kill-two"),
  /** The embedded broker stopped for {@code --broker-down-s} seconds, then started on its data. */
  BROKER_RESTART("broker-restart"),
  /** Postgres fast shutdown and start on the same data and port. */
  POSTGRES_RESTART("postgres-restart"),
  /** SIGKILL of the Convex emulator, started again on its data folder and port. */
  EMULATOR_RESTART("emulator-restart"),
  /** 503, 429 with Retry-After, dropped connections and added latency on 10% of Convex calls. */
  CONVEX_ERRORS("convex-errors"),
  /**
   * The broker away for a few seconds while the sink publishes ids and dead letters: its producer
   * sends fail and must be retried (a short {@link #BROKER_RESTART}).
   */
  PRODUCER_FAILURE("producer-failure"),
  /**
   * A second transformer and sink sharing the partitions; one instance of each is then killed and
   * Kafka rebalances its partitions to the survivor.
   */
  SCALE_OUT("scale-out");

  private final String cliName;

  Fault(String cliName) {
    this.cliName = cliName;
  }

  /** The name on the command line and in the results, {@code kill-transformer}. */
  public String cliName() {
    return cliName;
  }

  /** Whether this fault kills one or more stage processes. */
  public boolean kills() {
    return this == KILL_SOURCE
        || this == KILL_TRANSFORMER
        || this == KILL_SINK
        || this == KILL_TWO
        || this == SCALE_OUT;
  }

  /**
   * Parses a comma-separated list of names ({@code kill-sink,broker-restart}); {@code all} is every
   * fault. Blanks are ignored; duplicates are kept once, in first-seen order.
   *
   * @throws IllegalArgumentException naming the unknown name and the known ones
   */
  public static List<Fault> parseList(String list) {
    List<Fault> out = new ArrayList<>();
    for (String raw : list.split(",")) {
      String name = raw.trim().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        continue;
      }
      if (name.equals("all")) {
        Arrays.stream(values()).filter(f -> !out.contains(f)).forEach(out::add);
        continue;
      }
      Fault f = byName(name);
      if (!out.contains(f)) {
        out.add(f);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--faults: no fault given (known: " + known() + ")");
    }
    return List.copyOf(out);
  }

  /** The fault named {@code name}. @throws IllegalArgumentException when unknown */
  public static Fault byName(String name) {
    for (Fault f : values()) {
      if (f.cliName.equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "--faults: unknown fault '" + name + "' (known: " + known() + ", all)");
  }

  private static String known() {
    return String.join(", ", Arrays.stream(values()).map(Fault::cliName).toList());
  }
}
