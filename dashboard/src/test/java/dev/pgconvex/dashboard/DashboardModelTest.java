package dev.pgconvex.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.operations.ChainEvaluator;
import dev.pgconvex.operations.ChainStatus;
import dev.pgconvex.operations.Thresholds;
import dev.pgconvex.operations.alerts.FiringAlert;
import dev.pgconvex.operations.alerts.Severity;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DashboardModelTest {
  static final long NOW = 1_800_000_000_000L;

  static SourceStatus source(StageState state) {
    return new SourceStatus(
        state, "streaming", null, 100, 90, 2_048, "reserved", true, 0, 120, true, 250);
  }

  static TransformerStatus transformer(StageState state, long pending, Long oldestMs) {
    return new TransformerStatus(state, "running", null, "RUNNING", pending, oldestMs, 0);
  }

  static SinkStatus sink(StageState state, Long lagMs, LastError error) {
    return new SinkStatus(state, "applying", error, 4, NOW - 500, lagMs, "0:0", 4, 0, 3, 0, 0);
  }

  static ChainStatus chain(Map<String, StageStatus> stages) {
    return new ChainEvaluator(Thresholds.DEFAULTS).evaluate(stages, List.of(), NOW);
  }

  static Map<String, StageStatus> running() {
    Map<String, StageStatus> m = new LinkedHashMap<>();
    m.put("source", source(StageState.RUNNING));
    m.put("transformer", transformer(StageState.RUNNING, 0, null));
    m.put("sink", sink(StageState.RUNNING, 350L, null));
    return m;
  }

  static Reading reading(ChainStatus c, JsonNode tables) {
    return new Reading(NOW, c, tables, 5_000L, 4_000L, List.of(), null, null);
  }

  @Test
  void aCaughtUpChainIsGreenWithEveryFigureAsNumberAndText() {
    ObjectNode tables = Json.NODES.objectNode().put("atMs", NOW - 3_000);
    tables.putNull("error");
    ObjectNode t = tables.putObject("tables");
    t.putObject("users").put("pgRows", 12_345).put("convexDocs", 12_345);
    t.putObject("messages").put("pgRows", 300).put("convexDocs", 290);
    History h = new History(3_600_000, 2_000);
    h.record(NOW - 2_000, 400L, 1_000L, 1_000L, 2_048L);
    h.record(NOW, 350L, 3_400L, 3_000L, 2_048L);

    JsonNode o = DashboardModel.build(reading(chain(running()), tables), h.points(NOW), null, NOW);

    assertThat(o.at("/verdict/word").asText()).isEqualTo("caught up");
    assertThat(o.at("/verdict/tone").asText()).isEqualTo("ok");
    assertThat(o.at("/summary/lag/ms").asLong()).isEqualTo(350);
    assertThat(o.at("/summary/lag/text").asText()).isEqualTo("350 ms");
    assertThat(o.at("/summary/applied/text").asText()).isEqualTo("1.0k/s");
    assertThat(o.at("/summary/captured/text").asText()).isEqualTo("1.2k/s");
    assertThat(o.at("/summary/slotLag/text").asText()).isEqualTo("2.0 KiB");
    assertThat(o.at("/tables/known").asBoolean()).isTrue();
    assertThat(o.at("/tables/countedText").asText()).isEqualTo("counted 3 s ago");
    assertThat(o.at("/tables/rows/0/table").asText()).isEqualTo("users");
    assertThat(o.at("/tables/rows/0/pgText").asText()).isEqualTo("12.3k");
    assertThat(o.at("/tables/rows/0/pgRows").asLong()).isEqualTo(12_345);
    assertThat(o.at("/tables/rows/0/diffText").asText()).isEqualTo("equal");
    assertThat(o.at("/tables/rows/1/diffText").asText()).isEqualTo("10 to go");
    assertThat(o.at("/tables/rows/1/tone").asText()).isEqualTo("warn");
    assertThat(o.at("/stages")).extracting(s -> s.get("tone").asText()).containsOnly("ok");
    assertThat(o.at("/history/t")).hasSize(2);
    assertThat(o.at("/history/lagMs/1").asLong()).isEqualTo(350);
    assertThat(o.at("/history/appliedPerS/0").isNull()).isTrue();
    assertThat(o.at("/cutover/readiness").isNull()).isTrue();
    assertThat(o.at("/verify").isNull()).isTrue();
  }

  @Test
  void aStoppedOrMissingStageIsRedWithItsLastError() {
    Map<String, StageStatus> m = running();
    m.put(
        "sink",
        sink(
            StageState.STOPPED,
            null,
            new LastError("Convex answered 500 to applyBatch", NOW - 120_000)));
    m.remove("transformer");
    JsonNode o = DashboardModel.build(reading(chain(m), null), List.of(), null, NOW);

    assertThat(o.at("/verdict/word").asText()).isEqualTo("failing");
    assertThat(o.at("/verdict/tone").asText()).isEqualTo("bad");
    assertThat(o.at("/stages/0/tone").asText()).isEqualTo("ok");
    assertThat(o.at("/stages/1/stage").asText()).isEqualTo("transformer");
    assertThat(o.at("/stages/1/state").asText()).isEqualTo("MISSING");
    assertThat(o.at("/stages/1/tone").asText()).isEqualTo("bad");
    assertThat(o.at("/stages/2/state").asText()).isEqualTo("STOPPED");
    assertThat(o.at("/stages/2/tone").asText()).isEqualTo("bad");
    assertThat(o.at("/stages/2/lastError/message").asText()).contains("applyBatch");
    assertThat(o.at("/stages/2/lastError/agoText").asText()).isEqualTo("2 min ago");
    // no transformer: held rows unknown; no counts served: said so, never invented
    assertThat(o.at("/pending/text").asText()).isEqualTo("unknown");
    assertThat(o.at("/tables/known").asBoolean()).isFalse();
    assertThat(o.at("/tables/rows")).isEmpty();
    assertThat(o.at("/tables/note").asText()).contains("pipeline process");
  }

  @Test
  void heldRowsDeadLettersAlertsVerifyAndCutoverAreShownWithKeysOnly() {
    Map<String, StageStatus> m = running();
    m.put("transformer", transformer(StageState.RUNNING, 2, 45_000L));
    ChainStatus c =
        chain(m)
            .with(
                List.of(
                    new FiringAlert(
                        "DeadLettersGrowing",
                        Severity.CRITICAL,
                        "3 dead letters in 5 min",
                        3,
                        NOW - 90_000,
                        "./cdc dlq list")),
                List.of())
            .withVerify(
                new VerifyStatus(
                    true, NOW - 600_000, 4, 0, NOW - 60_000, 2, Map.of("users", 2L), null));
    JsonNode pending =
        Json.parse(
            "{\"pendingRows\":2,\"rows\":[{\"table\":\"messages\",\"key\":\"[7]\",\"position\":\"p\","
                + "\"missing\":[{\"field\":\"thread_id\",\"parentTable\":\"threads\",\"parentKey\":\"[3]\"}]}]}");
    JsonNode cutover =
        Json.parse(
            "{\"cutoverId\":\"c1\",\"state\":\"draining\",\"step\":\"drain\",\"reason\":null,"
                + "\"times\":{\"draining\":"
                + (NOW - 1_000)
                + ",\"ready\":"
                + (NOW - 5_000)
                + ",\"freezing\":"
                + (NOW - 3_000)
                + "},\"verify\":{\"mode\":\"changed\",\"equal\":true,\"differences\":0,\"scope\":\"s\",\"at\":"
                + (NOW - 2_000)
                + "},\"pauseMs\":null,\"updatedAt\":"
                + (NOW - 1_000)
                + "}");
    Reading r =
        new Reading(
            NOW,
            c,
            null,
            1L,
            1L,
            List.of(
                new Reading.DeadLetters("sink", "rejected", 3, List.of("users")),
                new Reading.DeadLetters("transformer", "orphan", 1, List.of("messages"))),
            pending,
            cutover);
    ObjectNode ready = Json.NODES.objectNode().put("ready", false);
    JsonNode o = DashboardModel.build(r, List.of(), ready, NOW);

    assertThat(o.at("/pending/count").asLong()).isEqualTo(2);
    assertThat(o.at("/pending/tone").asText()).isEqualTo("bad"); // held longer than 30 s
    assertThat(o.at("/pending/oldestText").asText()).isEqualTo("oldest 45.0 s");
    assertThat(o.at("/pending/rows/0/key").asText()).isEqualTo("[7]");
    assertThat(o.at("/pending/rows/0/waitsFor").asText()).isEqualTo("threads [3]");
    assertThat(o.at("/pending/rows/0").has("position")).isFalse();
    assertThat(o.at("/deadLetters/total").asLong()).isEqualTo(4);
    assertThat(o.at("/deadLetters/groups/0/reason").asText()).isEqualTo("rejected");
    assertThat(o.at("/deadLetters/groups/0/tables/0").asText()).isEqualTo("users");
    assertThat(o.at("/alerts/0/tone").asText()).isEqualTo("bad");
    assertThat(o.at("/alerts/0/sinceText").asText()).isEqualTo("since 1 min");
    assertThat(o.at("/verify/word").asText()).isEqualTo("differs");
    assertThat(o.at("/verify/text").asText()).isEqualTo("last pass 1 min ago: 2 key(s) differ");
    assertThat(o.at("/cutover/readiness/ready").asBoolean()).isFalse();
    assertThat(o.at("/cutover/last/state").asText()).isEqualTo("draining");
    assertThat(o.at("/cutover/last/tone").asText()).isEqualTo("warn");
    assertThat(o.at("/cutover/last/verifyText").asText())
        .isEqualTo("its verify (changed): equal, 2 s ago");
    assertThat(o.at("/cutover/last/steps"))
        .extracting(s -> s.get("state").asText())
        .containsExactly("ready", "freezing", "draining");
  }
}
