package dev.pgconvex.cli;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigKey;
import dev.pgconvex.operations.alerts.AlertRules;
import dev.pgconvex.sink.SinkConfig;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.transformer.TransformerConfig;
import dev.pgconvex.verify.VerifyConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every key definition of the pipeline, in the order of the reference ({@code ./cdc config-doc}),
 * and the keys each deployed stage takes ({@code ./cdc source|transformer|sink} and the service
 * images: the stage's definition plus the {@code alerts.*} keys). The deployment tests check the
 * keys in {@code docker-compose.yml} and {@code k8s/} against these.
 */
public final class ConfigReference {
  /** The deployable stages, by the name of their command. */
  public static final Set<String> STAGES = Set.of("source", "transformer", "sink");

  private ConfigReference() {}

  /** The reference's sections: title to definition (the shared keys first). */
  public static Map<String, ConfigDef> sections() {
    Map<String, ConfigDef> s = new LinkedHashMap<>();
    s.put("Shared by every service", CommonConfig.definition());
    s.put("Source (cdc-source)", SourceConfig.definition());
    s.put("Transformer", TransformerConfig.definition());
    s.put("Sink (convex-sink)", SinkConfig.definition());
    s.put(
        "Alerts (operations; evaluated by ./cdc run, ./cdc demo and ./cdc source|transformer|sink,"
            + " see docs/alerts.md)",
        AlertRules.definition());
    s.put("Verification (continuous, ./cdc run)", VerifyConfig.definition());
    s.put(
        "Dashboard (./cdc run, ./cdc demo, ./cdc dashboard)",
        dev.pgconvex.dashboard.DashboardConfig.definition());
    return s;
  }

  /** The definition of {@code stage}'s own keys (with the shared ones). */
  public static ConfigDef stage(String stage) {
    return switch (stage) {
      case "source" -> SourceConfig.definition();
      case "transformer" -> TransformerConfig.definition();
      case "sink" -> SinkConfig.definition();
      default -> throw new IllegalArgumentException("Not a stage: " + stage);
    };
  }

  /**
   * The keys a deployed {@code stage} takes: its own, the shared ones and {@code alerts.*}. Keys
   * starting with {@code kafka.} (and {@code debezium.} for the source) pass through to the clients
   * and are not listed.
   */
  public static Set<String> stageKeys(String stage) {
    Set<String> keys = new TreeSet<>();
    stage(stage).keys().forEach(k -> keys.add(k.name()));
    AlertRules.definition().keys().forEach(k -> keys.add(k.name()));
    return keys;
  }

  /** The keys {@code stage} cannot start without (no default). */
  public static Set<String> requiredKeys(String stage) {
    Set<String> keys = new TreeSet<>();
    stage(stage).keys().stream().filter(ConfigKey::required).forEach(k -> keys.add(k.name()));
    return keys;
  }

  /** Whether {@code key} is one {@code stage} passes to a client by prefix. */
  public static boolean passThrough(String stage, String key) {
    return key.startsWith("kafka.") || ("source".equals(stage) && key.startsWith("debezium."));
  }
}
