package dev.pgconvex.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class MediansTest {
  private static ObjectNode run(long rate, double cpu, boolean synced) {
    ObjectNode o = Json.NODES.objectNode().put("synced", synced).put("name", "emulator");
    o.putObject("streaming").put("rowsPerSec", rate).putObject("cpuMicrosPerRow").put("sink", cpu);
    return o;
  }

  @Test
  void everyNumberIsTheMedianOfItsRunsAndTheRunsAreKept() {
    ObjectNode m =
        Medians.of(List.of(run(300, 9.5, true), run(100, 30.0, true), run(200, 10.0, true)));
    assertThat(m.at("/streaming/rowsPerSec").asLong()).isEqualTo(200);
    assertThat(m.at("/streaming/cpuMicrosPerRow/sink").asDouble()).isEqualTo(10.0);
    assertThat(m.get("synced").asBoolean()).isTrue();
    assertThat(m.get("name").asText()).isEqualTo("emulator");
    assertThat(m.get("runs")).hasSize(3);
  }

  @Test
  void oneUnsyncedRunMakesTheWholeUnsyncedAndASingleRunIsItself() {
    assertThat(Medians.of(List.of(run(1, 1, true), run(2, 2, false))).get("synced").asBoolean())
        .isFalse();
    ObjectNode one = run(5, 5, true);
    assertThat(Medians.of(List.of(one))).isSameAs(one);
  }
}
