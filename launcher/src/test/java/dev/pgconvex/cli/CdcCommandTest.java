package dev.pgconvex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CdcCommandTest {
  @Test
  void helpListsTheCommands() {
    CliRun c = CliRun.of("--help");
    assertThat(c.code).isZero();
    assertThat(c.out)
        .contains(
            "demo",
            "run",
            "bench",
            "convex-emulator",
            "source",
            "transformer",
            "sink",
            "config-doc",
            "alert-rules",
            "replay",
            "dlq",
            "dashboard");
  }

  @Test
  void badConfigurationListsEveryProblemAndExitsNonZero(@TempDir Path dir) {
    CliRun c =
        CliRun.of(
            "run",
            "--tables",
            "public.t",
            "--work-dir",
            dir.toString(),
            "--set",
            "sink.batch.max.ops=lots",
            "--set",
            "cdc.topic.partitions=0",
            "--set",
            "sink.batchsize=1",
            "--set",
            "convex.request.timeout.ms=-5");
    assertThat(c.code).isEqualTo(2);
    assertThat(c.err)
        .contains("4 problems")
        .contains("sink.batch.max.ops: value 'lots' is not a valid int")
        .contains("cdc.topic.partitions: value '0' must be between 1")
        .contains("sink.batchsize: unknown configuration key")
        .contains("convex.request.timeout.ms");
    // nothing was started: no embedded server wrote its data
    assertThat(dir.resolve("postgres")).doesNotExist();
  }

  @Test
  void aDashboardBeyondLoopbackWithoutATokenIsRefusedBeforeAnythingStarts(@TempDir Path dir) {
    CliRun run =
        CliRun.of(
            "run",
            "--tables",
            "public.t",
            "--work-dir",
            dir.toString(),
            "--set",
            "dashboard.bind.address=0.0.0.0");
    assertThat(run.code).isEqualTo(2);
    assertThat(run.err).contains("dashboard.bind.address is 0.0.0.0").contains("dashboard.token");
    assertThat(dir.resolve("postgres")).doesNotExist();

    CliRun dashboard =
        CliRun.of(
            "dashboard",
            "--endpoint",
            "http://127.0.0.1:1",
            "--set",
            "dashboard.bind.address=0.0.0.0");
    assertThat(dashboard.code).isEqualTo(2);
    assertThat(dashboard.err).contains("dashboard.token");
  }

  @Test
  void anUnreachableDatabaseIsOneLineAndVerboseAddsTheTrace(@TempDir Path dir) {
    String url = "jdbc:postgresql://127.0.0.1:1/app";
    CliRun c = CliRun.of("schema", "generate", "--pg-url", url, "--out", dir.toString());
    assertThat(c.code).isEqualTo(1);
    assertThat(c.err)
        .contains("error: Postgres: Connection to 127.0.0.1:1 refused")
        .contains("--verbose")
        .doesNotContain("\tat ");

    CliRun v =
        CliRun.of("schema", "generate", "--pg-url", url, "--out", dir.toString(), "--verbose");
    assertThat(v.code).isEqualTo(1);
    assertThat(v.err).contains("error: Postgres: Connection").contains("\tat ");
  }

  @Test
  void configReferenceIsGeneratedFromTheDefinitions(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("configuration.md");
    assertThat(CliRun.of("config-doc", "--out", out.toString()).code).isZero();
    assertThat(Files.readString(out))
        .contains(
            "`pg.jdbc.url`",
            "`convex.admin.key`",
            "`transformer.mapping.file`",
            "`cdc.topic.prefix`",
            "CONVEX_ADMIN_KEY");
  }

  @Test
  void committedConfigurationReferenceIsUpToDate() throws Exception {
    Path committed = Path.of("..", "docs", "configuration.md");
    assertThat(committed).exists();
    assertThat(Files.readString(committed))
        .as("docs/configuration.md is generated: run ./cdc config-doc --out docs/configuration.md")
        .isEqualTo(ConfigDocCommand.render());
  }

  @Test
  void committedPrometheusRulesAreGeneratedFromTheAlertRules() throws Exception {
    Path committed = Path.of("..", "deploy", "prometheus", "pgconvex-alerts.yml");
    assertThat(committed).exists();
    assertThat(Files.readString(committed))
        .as(
            "deploy/prometheus/pgconvex-alerts.yml is generated: run ./cdc alert-rules --out"
                + " deploy/prometheus/pgconvex-alerts.yml")
        .isEqualTo(
            dev.pgconvex.operations.alerts.PrometheusRules.render(
                dev.pgconvex.operations.alerts.AlertSettings.defaults()));
    String doc = Files.readString(Path.of("..", "docs", "alerts.md"));
    for (var rule : dev.pgconvex.operations.alerts.AlertRules.ALL) {
      assertThat(doc)
          .as("docs/alerts.md describes " + rule.name())
          .contains("`" + rule.name() + "`");
    }
  }

  @Test
  void alertRulesTakeThresholdsAndRefuseBadOnesInOneLine() {
    CliRun ok = CliRun.of("alert-rules", "--set", "alerts.stalled.after.ms=120000");
    assertThat(ok.code).isZero();
    assertThat(ok.out).contains("pgconvex_sink_end_to_end_lag_ms > 120000");
    CliRun bad =
        CliRun.of(
            "alert-rules",
            "--set",
            "alerts.stalled.after.ms=soon",
            "--set",
            "alerts.webhook.url=ftp://hooks.example/secret-token");
    assertThat(bad.code).isNotZero();
    assertThat(bad.err)
        .contains("alerts.stalled.after.ms", "alerts.webhook.url")
        .doesNotContain("secret-token")
        .doesNotContain("Exception");
  }
}
