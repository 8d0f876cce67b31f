package dev.pgconvex.transformer;

import static dev.pgconvex.transformer.Fixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Operation.Kind;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.transformer.Fixture.Driver;
import dev.pgconvex.transformer.internals.RowState;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Rows held for a parent that never arrives: reported once after the timeout, never dropped. */
@Timeout(60)
class OrphanReportTest {
  private static final long TIMEOUT_MS = 60_000;
  private Driver d;

  @AfterEach
  void tearDown() {
    if (d != null) {
      d.close();
    }
  }

  private static ObjectNode post(int id, Integer userId) {
    return row("id", id, "title", "t" + id, "user_id", userId, "editor_id", null);
  }

  private void advance(long ms) {
    d.driver.advanceWallClockTime(Duration.ofMillis(ms));
  }

  @Test
  void heldRowIsReportedOnceAfterTheTimeoutKeepsWaitingAndIsReleasedWhenTheParentArrives() {
    d = new Driver(Fixture.mapping(), false, TIMEOUT_MS);
    d.create("posts", post(10, 1), 100);

    advance(TIMEOUT_MS - 20_000);
    assertThat(d.deadLetters()).as("not before the timeout").isEmpty();

    advance(25_000);
    List<DeadLetter> reports = d.deadLetters();
    assertThat(reports).hasSize(1);
    DeadLetter dead = reports.get(0);
    assertThat(dead.stage()).isEqualTo("transformer");
    assertThat(dead.reason())
        .contains("posts key [10]")
        .contains("authorId -> users key [1]")
        .contains("insert the parent or declare the relation optional in the mapping");
    assertThat(dead.topic()).isEqualTo(Fixture.TOPICS.source("public", "posts"));
    assertThat(dead.key()).isEqualTo("posts/[10]");
    assertThat(Json.parse(dead.value()))
        .isEqualTo(
            Json.parse(
                "{\"table\":\"posts\",\"key\":\"[10]\",\"position\":\""
                    + Position.of(100, 1)
                    + "\",\"missing\":[{\"field\":\"authorId\",\"parentTable\":\"users\","
                    + "\"parentKey\":\"[1]\"}]}"));
    assertThat(d.counts.orphansReported("posts")).isEqualTo(1);
    assertThat(d.counts.deadLetters("posts", "orphan")).isEqualTo(1);
    assertThat(d.counts.pendingRows("posts")).as("still waiting").isEqualTo(1);

    advance(10 * TIMEOUT_MS);
    assertThat(d.deadLetters()).as("reported once").isEmpty();
    assertThat(d.counts.orphansReported("posts")).isEqualTo(1);

    // other rows are never blocked
    d.id("users/[2]", "u2");
    d.create("posts", post(11, 2), 110);
    assertThat(d.ops())
        .singleElement()
        .satisfies(op -> assertThat(op.ref().toString()).isEqualTo("posts/[11]"));

    // the parent arrives late: the orphan is written as usual
    d.id("users/[1]", "u1");
    List<Operation> ops = d.ops();
    assertThat(ops)
        .singleElement()
        .satisfies(
            op -> {
              assertThat(op.ref().toString()).isEqualTo("posts/[10]");
              assertThat(op.op()).isEqualTo(Kind.UPSERT);
              assertThat(op.doc().get("authorId").asText()).isEqualTo("u1");
            });
    assertThat(d.counts.pendingRows()).isZero();
    advance(10 * TIMEOUT_MS);
    assertThat(d.deadLetters()).isEmpty();
  }

  @Test
  void anUpdateWaitingForTheSameParentKeepsItsClockAndIsNotReportedAgain() {
    d = new Driver(Fixture.mapping(), false, TIMEOUT_MS);
    d.create("posts", post(10, 1), 100);
    advance(TIMEOUT_MS / 2);
    d.update("posts", post(10, 1), post(10, 1).put("title", "new"), 200);
    advance(TIMEOUT_MS / 2 + 11_000);
    assertThat(d.deadLetters()).hasSize(1);

    d.update("posts", post(10, 1), post(10, 1).put("title", "newer"), 300);
    advance(3 * TIMEOUT_MS);
    assertThat(d.deadLetters()).isEmpty();
  }

  @Test
  void aRowReparentedToAnotherMissingParentIsReportedAgainAfterANewTimeout() {
    d = new Driver(Fixture.mapping(), false, TIMEOUT_MS);
    d.create("posts", post(10, 1), 100);
    advance(TIMEOUT_MS + 11_000);
    assertThat(d.deadLetters()).hasSize(1);

    d.update("posts", post(10, 1), post(10, 3), 200);
    advance(TIMEOUT_MS - 20_000);
    assertThat(d.deadLetters()).isEmpty();
    advance(31_000);
    assertThat(d.deadLetters())
        .singleElement()
        .satisfies(x -> assertThat(x.reason()).contains("users key [3]"));
    assertThat(d.counts.orphansReported("posts")).isEqualTo(2);
  }

  @Test
  void rowsWaitingOnlyForOptionalParentsAreNeverReported() {
    d = new Driver(Fixture.mapping(), false, TIMEOUT_MS);
    d.id("users/[1]", "u1");
    d.create("posts", row("id", 10, "title", "t", "user_id", 1, "editor_id", 9), 100);
    assertThat(d.ops()).hasSize(1); // written without editorId
    advance(10 * TIMEOUT_MS);
    assertThat(d.deadLetters()).isEmpty();
  }

  @Test
  void zeroNeverReports() {
    d = new Driver(Fixture.mapping(), false, 0);
    d.create("posts", post(10, 1), 100);
    advance(100 * TIMEOUT_MS);
    assertThat(d.deadLetters()).isEmpty();
    assertThat(d.counts.pendingRows("posts")).isEqualTo(1);
  }

  @Test
  void rowStatesStoredBeforeOrphanReportsStillRead() {
    String old =
        "{\"position\":\"0000000000000064:00000001\",\"commitTs\":1,\"doc\":{\"id\":10},"
            + "\"relations\":[{\"field\":\"authorId\",\"parentRef\":\"users/[1]\","
            + "\"optional\":false,\"waiting\":true}],\"emitted\":false,\"partial\":false}";
    RowState s = Json.MAPPER.convertValue(Json.parse(old), RowState.class);

    assertThat(s.heldSinceMs()).isNull();
    assertThat(s.orphanReported()).isFalse();
    assertThat(s.missingParents()).containsExactly("users/[1]");
    RowState back = Json.MAPPER.convertValue(Json.MAPPER.valueToTree(s), RowState.class);
    assertThat(back).isEqualTo(s);
  }

  @Test
  void pendingJsonListsHeldRowsWithTheirMissingParents() {
    PendingRow r =
        new PendingRow(
            "shipments/[5]",
            Position.of(1, 0),
            List.of(new PendingRow.Missing("orderId", "orders/[\"eu\",7]")));

    assertThat(r.toJson())
        .isEqualTo(
            Json.parse(
                "{\"table\":\"shipments\",\"key\":\"[5]\",\"position\":\""
                    + Position.of(1, 0)
                    + "\",\"missing\":[{\"field\":\"orderId\",\"parentTable\":\"orders\","
                    + "\"parentKey\":\"[\\\"eu\\\",7]\"}]}"));
    assertThat(r.missingParents()).containsExactly("orders/[\"eu\",7]");
  }
}
