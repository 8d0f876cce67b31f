package dev.pgconvex.common.config;

import dev.pgconvex.common.config.ConfigKey.Importance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The declared configuration of a component, in the style of Kafka's {@code ConfigDef}: every key
 * once, with type, default, validator and description. {@link #parse} validates everything and
 * reports every problem at once.
 *
 * <p>Value sources, first match wins: the given properties; for a {@link ConfigType#PASSWORD} key
 * also the environment variable {@link ConfigKey#envName()} and a file named by {@code <key>.file};
 * then the default.
 *
 * <p>Instances are built once at class-initialisation time and are immutable afterwards;
 * thread-safe to read.
 */
public final class ConfigDef {
  private final Map<String, ConfigKey> keys = new LinkedHashMap<>();

  /** Adds a key. Throws if the name is defined twice (a programming error). */
  public ConfigDef define(
      String name,
      ConfigType type,
      String defaultValue,
      Validator validator,
      Importance importance,
      String doc) {
    if (keys.putIfAbsent(name, new ConfigKey(name, type, defaultValue, validator, importance, doc))
        != null) {
      throw new IllegalStateException("Config key defined twice: " + name);
    }
    return this;
  }

  /** Adds a key with no validator. */
  public ConfigDef define(
      String name, ConfigType type, String defaultValue, Importance importance, String doc) {
    return define(name, type, defaultValue, null, importance, doc);
  }

  /** Adds every key of {@code other}. */
  public ConfigDef include(ConfigDef other) {
    other
        .keys
        .values()
        .forEach(
            k -> {
              if (keys.putIfAbsent(k.name(), k) != null) {
                throw new IllegalStateException("Config key defined twice: " + k.name());
              }
            });
    return this;
  }

  public Collection<ConfigKey> keys() {
    return keys.values();
  }

  /** Parses with the process environment as the source of secrets. */
  public Config parse(Map<String, String> props) {
    return parse(props, System::getenv);
  }

  /**
   * Parses and validates {@code props}.
   *
   * @param props raw values by key; keys not declared here are reported as problems unless they
   *     start with a prefix passed through to a client ({@code kafka.}, {@code debezium.})
   * @param env environment lookup used for secrets
   * @throws ConfigException listing every problem found
   */
  public Config parse(Map<String, String> props, Function<String, String> env) {
    List<String> problems = new ArrayList<>();
    Map<String, Object> values = new LinkedHashMap<>();
    for (ConfigKey key : keys.values()) {
      String raw = props.get(key.name());
      if (raw == null && key.type() == ConfigType.PASSWORD) {
        raw = env.apply(key.envName());
        String file = props.get(key.name() + ".file");
        if (raw == null && file != null) {
          try {
            raw = Files.readString(Path.of(file)).strip();
          } catch (IOException e) {
            problems.add(
                key.name()
                    + ".file: cannot read "
                    + file
                    + " ("
                    + e.getClass().getSimpleName()
                    + "); give a readable file or set "
                    + key.envName());
            continue;
          }
        }
      }
      if (raw == null) {
        raw = key.defaultValue();
      }
      if (raw == null) {
        problems.add(key.name() + ": required, no value given (" + key.doc() + ")");
        continue;
      }
      Object value;
      try {
        value = key.type().parse(raw);
      } catch (RuntimeException e) {
        String shown = key.type() == ConfigType.PASSWORD ? "[hidden]" : "'" + raw + "'";
        problems.add(
            key.name()
                + ": value "
                + shown
                + " is not a valid "
                + key.type().name().toLowerCase()
                + (e.getMessage() == null || key.type() == ConfigType.PASSWORD
                    ? ""
                    : " (" + e.getMessage() + ")"));
        continue;
      }
      String bad = key.validator() == null ? null : key.validator().check(value);
      if (bad != null) {
        problems.add(key.name() + ": value " + shown(key, raw) + " " + bad);
        continue;
      }
      values.put(key.name(), value);
    }
    for (String name : props.keySet()) {
      if (!keys.containsKey(name)
          && !(name.endsWith(".file") && keys.containsKey(name.substring(0, name.length() - 5)))
          && !name.startsWith("kafka.")
          && !name.startsWith("debezium.")) {
        problems.add(name + ": unknown configuration key");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    Map<String, String> passthrough = new LinkedHashMap<>();
    props.forEach(
        (k, v) -> {
          if (!keys.containsKey(k) && (k.startsWith("kafka.") || k.startsWith("debezium."))) {
            passthrough.put(k, v);
          }
        });
    return new Config(values, passthrough);
  }

  // Secrets never reach a message: password keys are hidden whole, and a password inside a URL
  // value
  // (jdbc:postgresql://h/db?password=x, http://user:x@h) is masked.
  private static String shown(ConfigKey key, String raw) {
    if (key.type() == ConfigType.PASSWORD) {
      return "[hidden]";
    }
    return "'"
        + raw.replaceAll("(?i)(password=)[^&;]*", "$1[hidden]")
            .replaceAll("(://[^/:@]+:)[^@/]*@", "$1[hidden]@")
        + "'";
  }

  /** The reference documentation, as a Markdown table. */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("| key | type | default | valid values | importance | description |\n");
    sb.append("| --- | --- | --- | --- | --- | --- |\n");
    keys.values().stream()
        .sorted(Comparator.comparing(ConfigKey::importance).thenComparing(ConfigKey::name))
        .forEach(
            k ->
                sb.append("| `")
                    .append(k.name())
                    .append("` | ")
                    .append(k.type().name().toLowerCase())
                    .append(" | ")
                    .append(
                        k.defaultValue() == null
                            ? "(required)"
                            : k.type() == ConfigType.PASSWORD ? "" : "`" + k.defaultValue() + "`")
                    .append(" | ")
                    .append(k.validator() == null ? "" : k.validator().describe())
                    .append(" | ")
                    .append(k.importance().name().toLowerCase())
                    .append(" | ")
                    .append(k.doc().replace("|", "\\|"))
                    .append(
                        k.type() == ConfigType.PASSWORD
                            ? " Also from the environment variable `"
                                + k.envName()
                                + "` or a file named by `"
                                + k.name()
                                + ".file`."
                            : "")
                    .append(" |\n"));
    return sb.toString();
  }
}
