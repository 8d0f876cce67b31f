package dev.pgconvex.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.bench.StageCpu.Component;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageCpuTest {
  @Test
  void threadsAreAttributedByTheirNamesAndTheirKafkaClientIds() {
    Map<String, Component> cases =
        Map.of(
            "pgconvex-source-engine", Component.SOURCE,
            "kafka-producer-network-thread | pgconvex-source-pgconvex", Component.SOURCE,
            "debezium-postgresconnector-pgconvex-change-event-source-coordinator", Component.SOURCE,
            "pgconvex-transformer-1f2e-StreamThread-1", Component.TRANSFORMER,
            "kafka-producer-network-thread | bench-transformer-9a-StreamThread-1-producer",
                Component.TRANSFORMER,
            "pgconvex-sink-worker-0", Component.SINK,
            "kafka-coordinator-heartbeat-thread | pgconvex-sink", Component.SINK,
            "data-plane-kafka-request-handler-3", Component.BROKER,
            "quorum-controller-1-event-handler", Component.BROKER);
    cases.forEach((name, c) -> assertThat(StageCpu.byName(name)).as(name).isEqualTo(c));
    // pooled and unknown threads are decided by their stacks
    assertThat(StageCpu.byName("pool-9-thread-1")).isNull();
    assertThat(StageCpu.byName("kafka-admin-client-thread | someone-else")).isNull();
  }

  @Test
  void perRowFiguresAreMicrosecondsWithATotalAndMinusOneForUnknown() {
    var o =
        StageCpu.perRowJson(
            new java.util.EnumMap<>(
                Map.of(
                    Component.SOURCE,
                    2_000_000L,
                    Component.SINK,
                    1_000_000L,
                    Component.EMULATOR,
                    -1L)),
            100);
    assertThat(o.get("source").asDouble()).isEqualTo(20.0);
    assertThat(o.get("sink").asDouble()).isEqualTo(10.0);
    assertThat(o.get("emulator").asDouble()).isEqualTo(-1.0);
    assertThat(o.get("total").asDouble()).isEqualTo(30.0);
  }
}
