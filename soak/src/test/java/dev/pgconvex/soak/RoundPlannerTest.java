package dev.pgconvex.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoundPlannerTest {
  private static final List<Fault> ALL = List.of(Fault.values());

  @Test
  void theSameSeedGivesTheSamePlan() {
    assertThat(RoundPlanner.plan(10, ALL, 42)).isEqualTo(RoundPlanner.plan(10, ALL, 42));
  }

  @Test
  void anotherSeedGivesAnotherPlan() {
    assertThat(RoundPlanner.plan(10, ALL, 42)).isNotEqualTo(RoundPlanner.plan(10, ALL, 43));
  }

  @Test
  void everyFaultIsTheMainFaultOnceBeforeAnyRepeats() {
    List<RoundPlan> plan = RoundPlanner.plan(ALL.size(), ALL, 7);
    Set<Fault> mains = new HashSet<>();
    plan.forEach(r -> mains.add(r.faults().get(0)));
    assertThat(mains).containsExactlyInAnyOrderElementsOf(ALL);
  }

  @Test
  void threeRoundsOverThreeFaultsUseThreeDifferentFaults() {
    List<Fault> three = List.of(Fault.KILL_TRANSFORMER, Fault.BROKER_RESTART, Fault.KILL_SINK);
    for (long seed = 0; seed < 50; seed++) {
      assertThat(RoundPlanner.plan(3, three, seed).stream().map(r -> r.faults().get(0)).distinct())
          .hasSize(3);
    }
  }

  @Test
  void theMomentLeavesLoadBeforeAndAfter() {
    for (RoundPlan r : RoundPlanner.plan(200, ALL, 3)) {
      assertThat(r.atFraction()).isBetween(0.15, 0.65);
      assertThat(r.round()).isPositive();
    }
  }

  @Test
  void killsNameTheirStages() {
    for (RoundPlan r : RoundPlanner.plan(100, ALL, 11)) {
      switch (r.faults().get(0)) {
        case KILL_SOURCE -> assertThat(r.stages()).containsExactly("source");
        case KILL_TRANSFORMER -> assertThat(r.stages()).containsExactly("transformer");
        case KILL_SINK -> assertThat(r.stages()).containsExactly("sink");
        case KILL_TWO ->
            assertThat(r.stages())
                .hasSize(2)
                .doesNotHaveDuplicates()
                .isSubsetOf("source", "transformer", "sink");
        case SCALE_OUT -> assertThat(r.stages()).containsExactly("transformer", "sink");
        default -> assertThat(r.stages()).isEmpty();
      }
    }
  }

  @Test
  void convexErrorsComeOnTopOnlyWhenListed() {
    List<Fault> noErrors = List.of(Fault.KILL_SINK, Fault.KILL_SOURCE);
    assertThat(RoundPlanner.plan(100, noErrors, 5))
        .allSatisfy(r -> assertThat(r.faults()).hasSize(1));
    assertThat(RoundPlanner.plan(100, ALL, 5))
        .anySatisfy(r -> assertThat(r.faults()).hasSize(2).endsWith(Fault.CONVEX_ERRORS));
  }

  @Test
  void faultNamesParseAndUnknownOnesAreNamed() {
    assertThat(Fault.parseList("kill-sink, broker-restart,kill-sink"))
        .containsExactly(Fault.KILL_SINK, Fault.BROKER_RESTART);
    assertThat(Fault.parseList("all")).containsExactly(Fault.values());
    assertThatThrownBy(() -> Fault.parseList("kill-sink,kill-everything"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown fault 'kill-everything'")
        .hasMessageContaining("kill-transformer");
    assertThatThrownBy(() -> Fault.parseList(" , "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no fault");
  }

  @Test
  void labelsJoinTheFaults() {
    assertThat(
            new RoundPlan(1, List.of(Fault.KILL_TWO, Fault.CONVEX_ERRORS), 0.3, List.of()).label())
        .isEqualTo("kill-two()+convex-errors");
    assertThat(new RoundPlan(2, List.of(Fault.KILL_TWO), 0.3, List.of("source", "sink")).label())
        .isEqualTo("kill-two(source,sink)");
  }
}
