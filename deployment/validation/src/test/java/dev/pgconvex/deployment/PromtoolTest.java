package dev.pgconvex.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Prometheus's own checker, where it is installed (Debian's {@code prometheus} package has {@code
 * promtool}; skipped, saying so, elsewhere): the Compose stack's Prometheus config and the alert
 * rules it loads, and every Grafana dashboard query as PromQL (each one a recording rule, which
 * {@code promtool check rules} parses). Which metric names exist is AlertsIT's part.
 */
class PromtoolTest {
  private static Path promtool;

  @BeforeAll
  static void findPromtool() {
    promtool =
        Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
            .map(p -> Path.of(p, "promtool"))
            .filter(Files::isExecutable)
            .findFirst()
            .orElse(null);
  }

  @Test
  void theAlertRulesAndThePrometheusConfigPass() throws Exception {
    assumePromtool();
    assertThat(
            promtool(
                "check", "rules", Repo.file("deploy/prometheus/pgconvex-alerts.yml").toString()))
        .contains("SUCCESS");
    // The config as Compose mounts it: the rules file at its path in the container.
    Path dir = tmp();
    String config =
        Repo.read("deploy/prometheus/prometheus.yml")
            .replace(
                "/etc/prometheus/rules/pgconvex-alerts.yml",
                Repo.file("deploy/prometheus/pgconvex-alerts.yml").toString());
    Path file = dir.resolve("prometheus.yml");
    Files.writeString(file, config);
    assertThat(promtool("check", "config", file.toString())).contains("SUCCESS");
  }

  @Test
  void everyDashboardQueryIsPromQl() throws Exception {
    assumePromtool();
    List<Map<String, Object>> rules = new ArrayList<>();
    int i = 0;
    for (String expr : GrafanaDashboard.expressions()) {
      Map<String, Object> rule = new LinkedHashMap<>();
      rule.put("record", "dashboard:query_" + i++);
      rule.put("expr", expr);
      rules.add(rule);
    }
    assertThat(rules).isNotEmpty();
    Map<String, Object> group = new LinkedHashMap<>();
    group.put("name", "grafana-dashboard");
    group.put("rules", rules);
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    Path file = tmp().resolve("dashboard-queries.yml");
    Files.writeString(file, new Yaml(options).dump(Map.of("groups", List.of(group))));
    assertThat(promtool("check", "rules", file.toString()))
        .contains("SUCCESS: " + rules.size() + " rules found");
  }

  private static void assumePromtool() {
    Assumptions.assumeTrue(
        promtool != null,
        "promtool is not on PATH (apt-get install prometheus): the rules, the Prometheus config and"
            + " the dashboard's PromQL are not checked here");
  }

  private static Path tmp() throws Exception {
    Path dir = Path.of("target", "promtool").toAbsolutePath();
    Files.createDirectories(dir);
    return dir;
  }

  private static String promtool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(promtool.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + out).isZero();
    return out;
  }
}
