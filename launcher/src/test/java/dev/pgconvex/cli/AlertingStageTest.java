package dev.pgconvex.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.operations.alerts.AlertingStage;
import dev.pgconvex.sink.SinkMain;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertingStageTest {
  @Test
  void theStagesAndTheAlertsProblemsAreReportedAtOnce() {
    var stage = new AlertingStage<>(SinkMain.stage(), "sink");
    assertThatThrownBy(
            () ->
                stage.parse(
                    Map.of(
                        "sink.no.such.key", "1",
                        "alerts.stalled.after.ms", "soon",
                        "alerts.webhook.url", "ftp://hooks.example/T000/secret-token")))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .anyMatch(p -> p.startsWith("sink.no.such.key"))
                    .anyMatch(p -> p.startsWith("alerts.stalled.after.ms"))
                    .anyMatch(p -> p.startsWith("alerts.webhook.url"))
                    .noneMatch(p -> p.contains("secret-token")));
  }

  @Test
  void alertKeysAreNotPassedToTheStage() {
    var stage = new AlertingStage<>(SinkMain.stage(), "sink");
    var config =
        stage.parse(
            Map.of(
                "convex.url", "http://127.0.0.1:1",
                "convex.admin.key", "k",
                "alerts.stalled.after.ms", "5000"));
    assertThat(config.getString("convex.url")).isEqualTo("http://127.0.0.1:1");
  }
}
