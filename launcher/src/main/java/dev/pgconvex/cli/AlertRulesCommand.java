package dev.pgconvex.cli;

import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.operations.alerts.AlertRules;
import dev.pgconvex.operations.alerts.AlertSettings;
import dev.pgconvex.operations.alerts.PrometheusRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cdc alert-rules}: the Prometheus alerting rules file, generated from the rules the
 * pipeline evaluates itself, so the two cannot drift.
 */
@Command(
    name = "alert-rules",
    mixinStandardHelpOptions = true,
    description =
        "Print (or write) the Prometheus alerting rules generated from the pipeline's own alert"
            + " rules (docs/alerts.md).")
final class AlertRulesCommand implements Callable<Integer> {
  @Option(names = "--out", description = "Write to this file instead of standard output.")
  Path out;

  @Option(
      names = "--set",
      description = "An alerts.* key=value to use instead of its default (repeatable).")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    AlertSettings settings;
    try {
      settings = AlertSettings.from(AlertRules.definition().parse(overrides, name -> null));
    } catch (ConfigException e) {
      throw new UserFacingException(String.join("; ", e.problems()));
    }
    String rules = PrometheusRules.render(settings);
    if (out == null) {
      System.out.print(rules);
    } else {
      if (out.toAbsolutePath().getParent() != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
      }
      Files.writeString(out, rules);
    }
    return 0;
  }
}
