package dev.pgconvex.soak;

import java.util.List;

/**
 * What one round does, decided from the seed before the soak starts.
 *
 * @param round 1-based
 * @param faults the faults of the round, the first one the round's main fault; never empty
 * @param atFraction when in the round's load the faults strike, as a fraction of its duration (0.15
 *     to 0.65: load before and after)
 * @param stages the stages the round kills, in order ({@code source}, {@code transformer}, {@code
 *     sink}); for {@link Fault#SCALE_OUT} the instances killed are the transformer's and the sink's
 */
public record RoundPlan(int round, List<Fault> faults, double atFraction, List<String> stages) {
  public RoundPlan {
    faults = List.copyOf(faults);
    stages = List.copyOf(stages);
    if (faults.isEmpty()) {
      throw new IllegalArgumentException("a round has at least one fault");
    }
  }

  /**
   * The faults' names joined with {@code +}, as the results table shows them; {@code kill-two}
   * names its two stages ({@code kill-two(source,sink)}).
   */
  public String label() {
    return String.join(
        "+",
        faults.stream()
            .map(
                f ->
                    f == Fault.KILL_TWO
                        ? f.cliName() + "(" + String.join(",", stages) + ")"
                        : f.cliName())
            .toList());
  }

  /** Whether {@code f} is one of this round's faults. */
  public boolean has(Fault f) {
    return faults.contains(f);
  }
}
