package dev.pgconvex.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Turns a seed into the rounds of a soak: the same seed, rounds and fault list give the same plan
 * on every machine, so a failing run can be reproduced with {@code --seed}.
 *
 * <p>Each round's main fault comes from a seeded shuffle of the list, taken in turn, so {@code N}
 * rounds over {@code k} faults use every fault once before any repeats (at least three rounds then
 * cover three different faults). With probability {@link #SECOND_FAULT_CHANCE} a round gets {@link
 * Fault#CONVEX_ERRORS} on top when it is in the list: several things in one run.
 */
public final class RoundPlanner {
  /** How often a round gets Convex errors on top of its main fault. */
  static final double SECOND_FAULT_CHANCE = 0.3;

  private static final List<String> STAGES = List.of("source", "transformer", "sink");

  private RoundPlanner() {}

  /**
   * @param rounds at least 1
   * @param faults the faults to draw from, not empty
   * @param seed the run's seed
   */
  public static List<RoundPlan> plan(int rounds, List<Fault> faults, long seed) {
    if (rounds < 1 || faults.isEmpty()) {
      throw new IllegalArgumentException("at least one round and one fault");
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<Fault> order = new ArrayList<>();
    List<RoundPlan> out = new ArrayList<>();
    for (int r = 1; r <= rounds; r++) {
      if (order.isEmpty()) {
        order.addAll(shuffled(faults, random));
      }
      Fault main = order.remove(0);
      List<Fault> these = new ArrayList<>(List.of(main));
      if (main != Fault.CONVEX_ERRORS
          && faults.contains(Fault.CONVEX_ERRORS)
          && random.nextDouble() < SECOND_FAULT_CHANCE) {
        these.add(Fault.CONVEX_ERRORS);
      }
      double at = 0.15 + random.nextDouble() * 0.5;
      out.add(new RoundPlan(r, these, at, stagesOf(main, random)));
    }
    return List.copyOf(out);
  }

  private static List<String> stagesOf(Fault f, SplittableRandom random) {
    return switch (f) {
      case KILL_SOURCE -> List.of("source");
      case KILL_TRANSFORMER -> List.of("transformer");
      case KILL_SINK -> List.of("sink");
      case KILL_TWO -> {
        int spared = random.nextInt(STAGES.size());
        List<String> two = new ArrayList<>(STAGES);
        two.remove(spared);
        yield two;
      }
      case SCALE_OUT -> List.of("transformer", "sink");
      default -> List.of();
    };
  }

  private static List<Fault> shuffled(List<Fault> faults, SplittableRandom random) {
    List<Fault> l = new ArrayList<>(faults);
    for (int i = l.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      Fault t = l.get(i);
      l.set(i, l.get(j));
      l.set(j, t);
    }
    return l;
  }
}
