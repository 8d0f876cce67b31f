package dev.pgconvex.common.config;

import java.util.Objects;

/**
 * One configuration key: name (unit in the name, {@code convex.request.timeout.ms}), type, default,
 * validator and description. Declared once, in the {@link ConfigDef} of the component that reads
 * it.
 *
 * @param name dotted key name
 * @param type value type
 * @param defaultValue default as text, or null when the key is required
 * @param validator checks the parsed value, or null
 * @param importance how likely an operator needs to set it
 * @param doc one or two sentences for the generated reference
 */
public record ConfigKey(
    String name,
    ConfigType type,
    String defaultValue,
    Validator validator,
    Importance importance,
    String doc) {

  /** How likely an operator needs to set a key: orders the generated reference. */
  public enum Importance {
    HIGH,
    MEDIUM,
    LOW
  }

  public ConfigKey {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(importance, "importance");
    Objects.requireNonNull(doc, "doc");
  }

  /** True when there is no default and a value must be given. */
  public boolean required() {
    return defaultValue == null;
  }

  /**
   * Environment variable that may also supply the value: {@code convex.admin.key} is {@code
   * CONVEX_ADMIN_KEY}.
   */
  public String envName() {
    return name.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
  }
}
