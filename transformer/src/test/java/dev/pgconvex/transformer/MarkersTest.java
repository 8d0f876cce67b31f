package dev.pgconvex.transformer;

import static dev.pgconvex.transformer.Fixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.transformer.Fixture.Driver;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The marker path of the topology (docs/contracts.md, "Markers"): a marker the source copied into
 * every table topic comes out as one marker op per ops partition, behind the ops before it, once it
 * came from every input, with the rows held for a parent when it passed.
 */
@Timeout(60)
class MarkersTest {
  private static final List<String> TABLES =
      List.of("users", "posts", "orders", "shipments", "categories");

  private Driver d;

  @BeforeEach
  void setUp() {
    d = new Driver(Fixture.mapping(), true, TransformerTopology.DEFAULT_ORPHAN_REPORT_AFTER_MS, 1);
  }

  @AfterEach
  void tearDown() {
    d.close();
  }

  private static String marker(String id, long lsn) {
    return "{\"op\":\"m\",\"marker\":{\"pipeline\":\"t\",\"id\":\""
        + id
        + "\",\"lsn\":"
        + lsn
        + ",\"commitTs\":1700000000500,\"sourceAt\":1700000000600}}";
  }

  private void markerInto(List<String> tables, String id, long lsn) {
    for (String t : tables) {
      d.send(t, "{\"_marker\":\"" + id + "\"}", marker(id, lsn));
    }
  }

  @Test
  void aMarkerFromEveryTableTopicBecomesAMarkerOpBehindTheOpsBeforeIt() {
    d.create("users", row("id", 1, "name", "ann"), 100);
    markerInto(TABLES, "c1/1", 200);

    List<Operation> ops = d.ops();

    assertThat(ops)
        .extracting(Operation::op)
        .containsExactly(Operation.Kind.UPSERT, Operation.Kind.MARKER);
    Operation m = ops.get(1);
    assertThat(m.table()).isEqualTo(Operation.MARKER_TABLE);
    assertThat(m.key()).isEqualTo("0");
    assertThat(m.position()).isEqualTo(Position.of(200, 0));
    assertThat(m.commitTs()).isEqualTo(1_700_000_000_500L);
    assertThat(m.doc().get("id").asText()).isEqualTo("c1/1");
    assertThat(m.doc().get("pipeline").asText()).isEqualTo("t");
    assertThat(m.doc().get("held").asLong()).isZero();
    assertThat(m.doc().get("sourceAt").asLong()).isEqualTo(1_700_000_000_600L);
    assertThat(m.doc().get("transformerAt").asLong()).isPositive();
    assertThat(d.deadLetters()).isEmpty();
  }

  @Test
  void aMarkerWaitsForItsCopyFromEveryInputAndADuplicateCountsOnce() {
    markerInto(TABLES.subList(0, 4), "c2/1", 300);
    markerInto(TABLES.subList(0, 1), "c2/1", 300); // a copy read twice (a replay)
    assertThat(d.ops()).isEmpty();

    markerInto(TABLES.subList(4, 5), "c2/1", 300);
    assertThat(d.ops()).extracting(Operation::op).containsExactly(Operation.Kind.MARKER);

    // Forgotten once forwarded: a late duplicate starts a new, incomplete alignment.
    markerInto(TABLES.subList(0, 1), "c2/1", 300);
    assertThat(d.ops()).isEmpty();
  }

  @Test
  void aMarkerPassingARowHeldForItsParentSaysSo() {
    // A post whose author never arrived: held.
    d.create("posts", row("id", 7, "title", "t", "body", "b", "user_id", 42), 100);
    markerInto(TABLES, "c3/1", 400);

    List<Operation> ops = d.ops();
    assertThat(ops).extracting(Operation::op).containsExactly(Operation.Kind.MARKER);
    assertThat(ops.get(0).doc().get("held").asLong()).isPositive();

    // Its parent arrives and its id comes back: the next marker finds nothing held.
    d.create("users", row("id", 42, "name", "kim"), 500);
    d.id("users/[42]", "u42");
    markerInto(TABLES, "c3/2", 600);
    List<Operation> after = d.ops();
    assertThat(after.get(after.size() - 1).op()).isEqualTo(Operation.Kind.MARKER);
    assertThat(after.get(after.size() - 1).doc().get("held").asLong()).isZero();
    assertThat(after).anySatisfy(o -> assertThat(o.table()).isEqualTo("posts"));
  }

  @Test
  void aMarkerWithoutAnIdIsADeadLetterNotAStop() {
    d.send("users", "{\"_marker\":\"x\"}", "{\"op\":\"m\",\"marker\":{\"pipeline\":\"t\"}}");
    d.create("users", row("id", 1, "name", "ann"), 100);

    assertThat(d.deadLetters())
        .singleElement()
        .satisfies(dl -> assertThat(dl.reason()).contains("marker"));
    assertThat(d.ops()).extracting(Operation::op).containsExactly(Operation.Kind.UPSERT);
  }
}
