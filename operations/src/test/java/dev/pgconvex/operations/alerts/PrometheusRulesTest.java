package dev.pgconvex.operations.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class PrometheusRulesTest {

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> rules(String yaml) {
    Map<String, Object> doc = new Yaml().load(yaml);
    List<Map<String, Object>> groups = (List<Map<String, Object>>) doc.get("groups");
    assertThat(groups).hasSize(1);
    assertThat(groups.get(0)).containsEntry("name", "pgconvex");
    return (List<Map<String, Object>>) groups.get(0).get("rules");
  }

  private static Map<String, Object> rule(List<Map<String, Object>> rules, String name) {
    return rules.stream().filter(r -> name.equals(r.get("alert"))).findFirst().orElseThrow();
  }

  @Test
  void theDefaultsRenderOneRuleEachAsValidYaml() {
    AlertSettings defaults = AlertSettings.defaults();
    List<Map<String, Object>> rules = rules(PrometheusRules.render(defaults));

    assertThat(rules).hasSize(AlertRules.ALL.size());
    for (int i = 0; i < rules.size(); i++) {
      AlertRule r = AlertRules.ALL.get(i);
      Map<String, Object> y = rules.get(i);
      assertThat(y).as(r.name()).containsKeys("alert", "expr", "for", "labels", "annotations");
      assertThat(y.get("alert")).isEqualTo(r.name());
      // The expression survives the YAML quoting unchanged (the throttled one holds quotes).
      assertThat(y.get("expr")).as(r.name()).isEqualTo(r.promql().apply(defaults.of(r)));
      assertThat((String) y.get("expr")).as(r.name()).contains("pgconvex_");
      assertThat(y.get("for"))
          .as(r.name())
          .isEqualTo(PrometheusRules.duration(r.defaultForMs()))
          .asString()
          .matches("[0-9]+(ms|s)");
      assertThat((Map<String, Object>) y.get("labels"))
          .as(r.name())
          .containsEntry("severity", r.severity().label());
      assertThat((Map<String, Object>) y.get("annotations"))
          .as(r.name())
          .containsEntry("summary", r.summary())
          .containsEntry("description", "Fix: " + r.fix());
    }
  }

  @Test
  void theDefaultThresholdsAreInTheExpressions() {
    List<Map<String, Object>> rules = rules(PrometheusRules.render(AlertSettings.defaults()));

    assertThat(rule(rules, "PipelineStalled"))
        .containsEntry("expr", "pgconvex_sink_end_to_end_lag_ms > 60000")
        .containsEntry("for", "0s");
    assertThat(rule(rules, "SlotLagHigh"))
        .containsEntry("expr", "pgconvex_source_slot_lag_bytes > 1073741824")
        .containsEntry("for", "300s");
    assertThat(rule(rules, "ConvexThrottled"))
        .containsEntry(
            "expr", "increase(pgconvex_sink_retries_total{reason=\"rate_limited\"}[60s]) > 10");
    assertThat((String) rule(rules, "DeadLettersArriving").get("expr"))
        .contains("increase(pgconvex_transformer_dead_letters_total[600s])")
        .contains("increase(pgconvex_sink_dead_letters_total[600s])")
        .endsWith("> 0");
  }

  @Test
  void durations() {
    assertThat(PrometheusRules.duration(60_000)).isEqualTo("60s");
    assertThat(PrometheusRules.duration(500)).isEqualTo("500ms");
    assertThat(PrometheusRules.duration(0)).isEqualTo("0s");
    assertThat(PrometheusRules.duration(90_000)).isEqualTo("90s");
    assertThat(PrometheusRules.duration(1_500)).isEqualTo("1500ms");
    assertThat(PrometheusRules.duration(14_400_000)).isEqualTo("14400s");
  }

  @Test
  void changedSettingsAppearInTheRules() {
    AlertSettings changed =
        AlertSettings.from(
            AlertRules.definition()
                .parse(
                    Map.of(
                        "alerts.end.to.end.lag.threshold.ms", "25000",
                        "alerts.consumer.lag.for.ms", "30500",
                        "alerts.dead.letters.window.ms", "120000",
                        "alerts.dead.letters.threshold", "4"),
                    name -> null));
    String defaults = PrometheusRules.render(AlertSettings.defaults());
    assertThat(defaults).doesNotContain("25000").doesNotContain("30500ms").doesNotContain("[120s]");

    List<Map<String, Object>> rules = rules(PrometheusRules.render(changed));

    assertThat(rule(rules, "EndToEndLagHigh"))
        .containsEntry("expr", "pgconvex_sink_end_to_end_lag_ms > 25000");
    assertThat(rule(rules, "ConsumerLagHigh")).containsEntry("for", "30500ms");
    assertThat((String) rule(rules, "DeadLettersArriving").get("expr"))
        .contains("[120s]")
        .doesNotContain("[600s]")
        .endsWith("> 4");
    // Unchanged rules keep their defaults.
    assertThat(rule(rules, "PipelineStalled"))
        .containsEntry("expr", "pgconvex_sink_end_to_end_lag_ms > 60000");
  }
}
