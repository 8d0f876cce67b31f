package dev.pgconvex.deployment;

import dev.pgconvex.cli.ConfigReference;
import dev.pgconvex.common.config.ConfigDef;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.config.ConfigKey;
import dev.pgconvex.common.config.ConfigType;
import dev.pgconvex.common.service.ServiceRunner;
import dev.pgconvex.operations.alerts.AlertingStage;
import dev.pgconvex.sink.SinkMain;
import dev.pgconvex.source.SourceMain;
import dev.pgconvex.transformer.TransformerMain;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Checks a deployed stage's configuration against the key definitions ({@link ConfigReference}, the
 * set {@code ./cdc config-doc} documents): every key is one the stage takes, every required key is
 * given (a password by its {@code .file} too), and the stage's own parser (the one the image runs:
 * {@link AlertingStage} around the stage) accepts the whole, values included. Secret files are
 * stood in for by a temporary file, as they exist only where the service runs.
 */
final class ServiceConfig {
  private ServiceConfig() {}

  static Map<String, String> properties(String text) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k.trim(), p.getProperty(k).trim()));
    return out;
  }

  /** The problems of {@code props} for {@code stage}; empty when it would start. */
  static List<String> problems(String stage, Map<String, String> props) {
    List<String> problems = new ArrayList<>();
    ConfigDef def = ConfigReference.stage(stage);
    Map<String, ConfigKey> keys = new LinkedHashMap<>();
    def.keys().forEach(k -> keys.put(k.name(), k));
    for (String key : props.keySet()) {
      boolean secretFile =
          key.endsWith(".file")
              && keys.containsKey(key.substring(0, key.length() - 5))
              && keys.get(key.substring(0, key.length() - 5)).type() == ConfigType.PASSWORD;
      if (!ConfigReference.stageKeys(stage).contains(key)
          && !secretFile
          && !ConfigReference.passThrough(stage, key)) {
        problems.add(
            stage + ": " + key + " is not a key of the " + stage + " (docs/configuration.md)");
      }
    }
    for (String required : ConfigReference.requiredKeys(stage)) {
      if (!props.containsKey(required) && !props.containsKey(required + ".file")) {
        problems.add(stage + ": required key " + required + " is not given");
      }
    }
    Map<String, String> standIn = new LinkedHashMap<>(props);
    try {
      Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
      Path secret = Files.createTempFile("pgconvex-secret", ".txt");
      Files.writeString(secret, "stand-in");
      props.forEach(
          (k, v) -> {
            if (k.endsWith(".file") && keys.containsKey(k.substring(0, k.length() - 5))) {
              standIn.put(k, secret.toString());
            }
          });
      stage(stage).parse(standIn);
    } catch (ConfigException e) {
      e.problems().forEach(p -> problems.add(stage + ": " + p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return problems;
  }

  private static ServiceRunner.Stage<?> stage(String stage) {
    return switch (stage) {
      case "source" -> new AlertingStage<>(SourceMain.stage(), "source");
      case "transformer" -> new AlertingStage<>(TransformerMain.stage(), "transformer");
      case "sink" -> new AlertingStage<>(SinkMain.stage(), "sink");
      default -> throw new IllegalArgumentException(stage);
    };
  }
}
