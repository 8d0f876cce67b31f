package dev.pgconvex.source.signal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.source.config.TableId;
import org.junit.jupiter.api.Test;

class ResyncSignalTest {
  @Test
  void wholeTableIsAnIncrementalSnapshotWithoutConditions() {
    JsonNode data = Json.parse(new ResyncSignal(TableId.parse("public.users"), null).dataJson());
    assertThat(data.get("type").asText()).isEqualTo("incremental");
    assertThat(data.get("data-collections")).hasSize(1);
    assertThat(data.get("data-collections").get(0).asText()).isEqualTo("public.users");
    assertThat(data.has("additional-conditions")).isFalse();
  }

  @Test
  void whereBecomesTheTablesAdditionalCondition() {
    JsonNode data =
        Json.parse(
            new ResyncSignal(TableId.parse("shop.orders"), "id > 10 AND note = 'a\"b'").dataJson());
    JsonNode condition = data.get("additional-conditions").get(0);
    assertThat(condition.get("data-collection").asText()).isEqualTo("shop.orders");
    assertThat(condition.get("filter").asText()).isEqualTo("id > 10 AND note = 'a\"b'");
  }

  @Test
  void blankWhereMeansTheWholeTable() {
    assertThat(new ResyncSignal(TableId.parse("public.t"), "  ").where()).isNull();
    assertThatThrownBy(() -> new ResyncSignal(null, null)).isInstanceOf(NullPointerException.class);
  }
}
