package dev.pgconvex.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.json.Json;
import org.junit.jupiter.api.Test;

class OperationTest {
  @Test
  void aHeartbeatIsWrittenAsTheContractSaysAndReadBack() {
    Operation hb = Operation.heartbeat(3, Position.of(0x2A, 0), 1_700_000_000_123L);

    String json = Json.write(hb);

    assertThat(Json.parse(json))
        .isEqualTo(
            Json.parse(
                "{\"table\":\"_heartbeat\",\"key\":\"3\",\"op\":\"heartbeat\","
                    + "\"position\":\"000000000000002A:00000000\",\"commitTs\":1700000000123}"));
    Operation back = Json.MAPPER.convertValue(Json.parse(json), Operation.class);
    assertThat(back).isEqualTo(hb);
    assertThat(back.isHeartbeat()).isTrue();
  }

  @Test
  void rowOpsCarryNoHeartbeatProperty() {
    Operation delete =
        new Operation("users", "[1]", Operation.Kind.DELETE, Position.of(1, 1), 5, 7L, null);

    assertThat(Json.parse(Json.write(delete)).has("heartbeat")).isFalse();
    assertThat(delete.isHeartbeat()).isFalse();
  }

  @Test
  void aHeartbeatHasNoDocumentAndItsOwnTable() {
    var doc = Json.NODES.objectNode().put("a", 1);
    assertThatThrownBy(
            () ->
                new Operation(
                    "_heartbeat", "0", Operation.Kind.HEARTBEAT, Position.of(1, 0), 1, null, doc))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new Operation(
                    "users", "0", Operation.Kind.HEARTBEAT, Position.of(1, 0), 1, null, null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
