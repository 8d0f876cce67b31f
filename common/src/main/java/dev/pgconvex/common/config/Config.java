package dev.pgconvex.common.config;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/** Validated configuration values. Immutable; thread-safe. */
public final class Config {
  private final Map<String, Object> values;
  private final Map<String, String> passthrough;

  Config(Map<String, Object> values, Map<String, String> passthrough) {
    this.values = Collections.unmodifiableMap(values);
    this.passthrough = Collections.unmodifiableMap(passthrough);
  }

  private Object get(String key) {
    if (!values.containsKey(key)) {
      throw new IllegalArgumentException("Undeclared configuration key: " + key);
    }
    return values.get(key);
  }

  public String getString(String key) {
    return (String) get(key);
  }

  public int getInt(String key) {
    return (Integer) get(key);
  }

  public long getLong(String key) {
    return (Long) get(key);
  }

  public double getDouble(String key) {
    return (Double) get(key);
  }

  public boolean getBoolean(String key) {
    return (Boolean) get(key);
  }

  @SuppressWarnings("unchecked")
  public List<String> getList(String key) {
    return (List<String>) get(key);
  }

  public Secret getSecret(String key) {
    return (Secret) get(key);
  }

  /**
   * Keys passed through to a client with the prefix removed: {@code passthrough("kafka.")} gives
   * {@code linger.ms} for {@code kafka.linger.ms}.
   */
  public Map<String, String> passthrough(String prefix) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    passthrough.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            out.put(k.substring(prefix.length()), v);
          }
        });
    return out;
  }

  /** The values, secrets hidden, for a start-up log line. */
  @Override
  public String toString() {
    return values.toString();
  }
}
