package dev.pgconvex.transformer;

import static dev.pgconvex.transformer.Fixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.transformer.Fixture.Driver;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The heartbeat path of the topology: one heartbeat op per ops partition for each heartbeat. */
@Timeout(60)
class HeartbeatsTest {
  private Driver d;

  @BeforeEach
  void setUp() {
    d = new Driver(); // 2 ops partitions
  }

  @AfterEach
  void tearDown() {
    d.close();
  }

  @Test
  void eachHeartbeatBecomesOneHeartbeatOpPerOpsPartition() {
    d.heartbeats.pipeInput((String) null, "{\"commitTs\":1700000000123,\"lsn\":42}");

    var out = d.ops.readKeyValuesToList();

    assertThat(out).extracting(kv -> kv.key).containsExactly("_heartbeat/0", "_heartbeat/1");
    assertThat(out)
        .extracting(kv -> Fixture.operation(kv.value))
        .containsExactly(
            Operation.heartbeat(0, Position.of(42, 0), 1_700_000_000_123L),
            Operation.heartbeat(1, Position.of(42, 0), 1_700_000_000_123L));
    Operation first = Fixture.operation(out.get(0).value);
    assertThat(first.op()).isEqualTo(Operation.Kind.HEARTBEAT);
    assertThat(first.table()).isEqualTo("_heartbeat");
    assertThat(first.doc()).isNull();
    assertThat(first.txId()).isNull();
    // The heartbeat path keeps no state: nothing is held, no dead letter.
    assertThat(d.counts.pendingRows()).isZero();
    assertThat(d.deadLetters()).isEmpty();
  }

  @Test
  void heartbeatsAndRowsFlowSideBySide() {
    d.create("users", row("id", 1, "name", "ann"), 100);
    d.heartbeats.pipeInput((String) null, "{\"commitTs\":1700000000200,\"lsn\":150}");
    d.create("users", row("id", 2, "name", "bob"), 200);

    var ops = d.ops();

    assertThat(ops)
        .extracting(Operation::op)
        .containsExactly(
            Operation.Kind.UPSERT,
            Operation.Kind.HEARTBEAT,
            Operation.Kind.HEARTBEAT,
            Operation.Kind.UPSERT);
    assertThat(ops.get(0).doc()).isEqualTo(row("id", 1, "name", "ann"));
  }

  @Test
  void aRecordThatIsNoHeartbeatIsCountedAndIgnored() {
    d.heartbeats.pipeInput((String) null, "{oops");
    d.heartbeats.pipeInput((String) null, "{\"lsn\":42}");
    d.heartbeats.pipeInput((String) null, (String) null);

    assertThat(d.ops.readKeyValuesToList()).isEmpty();
    assertThat(d.counts.heartbeatsSkipped("not_json")).isEqualTo(2);
    assertThat(d.counts.heartbeatsSkipped("no_commit_ts")).isEqualTo(1);
    assertThat(d.registry.scrape())
        .contains(
            "pgconvex_transformer_heartbeats_skipped_total{reason=\"no_commit_ts\","
                + "table=\"_heartbeat\"} 1.0");

    d.heartbeats.pipeInput((String) null, "{\"commitTs\":5,\"lsn\":43}");
    assertThat(d.ops.readKeyValuesToList()).hasSize(2);
  }

  @Test
  void eachHeartbeatOpGoesToThePartitionItsKeyNames() {
    for (KeyValue<String, String> kv :
        Heartbeats.fanOut("{\"commitTs\":1,\"lsn\":2}", 4, Fixture.TOPICS, d.counts)) {
      int p = Integer.parseInt(Fixture.operation(kv.value).key());
      assertThat(Heartbeats.PARTITIONER.partitions("t.ops", kv.key, kv.value, 4))
          .contains(Set.of(p));
    }
    // A topic with fewer partitions than configured still gets every heartbeat on one it has.
    assertThat(Heartbeats.PARTITIONER.partitions("t.ops", "_heartbeat/3", "{}", 2))
        .contains(Set.of(1));
    // Any other key is left to the default partitioner.
    assertThat(Heartbeats.PARTITIONER.partitions("t.ops", "users/[1]", "{}", 4)).isEmpty();
    assertThat(Heartbeats.PARTITIONER.partitions("t.ops", "_heartbeat/x", "{}", 4))
        .isEqualTo(Optional.empty());
  }

  @Test
  void theHeartbeatSubTopologyComesLastSoUpgradedInstancesKeepTheirTaskIds() {
    TopologyDescription description =
        TransformerTopology.build(
                TransformerTopology.Options.of(Fixture.mapping(), Fixture.TOPICS, 4))
            .describe();
    Map<String, Integer> idOfNode =
        description.subtopologies().stream()
            .flatMap(s -> s.nodes().stream().map(n -> Map.entry(n.name(), s.id())))
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));

    // The ids of the version before heartbeats: 0 converter, 1 assemblers, 2 resolver.
    assertThat(idOfNode)
        .containsEntry("converter", 0)
        .containsEntry("assembler", 1)
        .containsEntry("assembler-responses", 1)
        .containsEntry("resolver", 2)
        .containsEntry(TransformerTopology.HEARTBEATS_SOURCE, 3)
        .containsEntry("heartbeat-fanout", 3)
        .containsEntry("heartbeat-ops-sink", 3);
  }
}
