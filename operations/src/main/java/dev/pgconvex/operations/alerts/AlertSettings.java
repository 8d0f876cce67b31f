package dev.pgconvex.operations.alerts;

import dev.pgconvex.common.config.Config;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The alert settings in force, read from a {@link Config} parsed with {@link
 * AlertRules#definition()}.
 *
 * @param enabled whether rules are evaluated at all
 * @param evaluationIntervalMs how often
 * @param webhookUrl where to post, empty for nowhere (a secret: never logged)
 * @param repeatIntervalMs re-post a still-firing alert after this long, 0 never
 * @param webhookTimeoutMs timeout of one call
 * @param webhookMaxAttempts attempts per message
 * @param rules each rule's threshold, for and window, by rule name
 */
public record AlertSettings(
    boolean enabled,
    long evaluationIntervalMs,
    dev.pgconvex.common.config.Secret webhookUrl,
    long repeatIntervalMs,
    long webhookTimeoutMs,
    int webhookMaxAttempts,
    Map<String, AlertRule.RuleSettings> rules) {

  /** Reads the settings of every rule of {@link AlertRules#ALL}. */
  public static AlertSettings from(Config c) {
    Map<String, AlertRule.RuleSettings> rules = new LinkedHashMap<>();
    for (AlertRule r : AlertRules.ALL) {
      rules.put(
          r.name(),
          new AlertRule.RuleSettings(
              r.thresholdKey() == null ? 0 : c.getLong(r.thresholdKey()),
              c.getLong(r.forKey()),
              r.windowKey() == null ? 0 : c.getLong(r.windowKey())));
    }
    return new AlertSettings(
        c.getBoolean(AlertRules.ENABLED),
        c.getLong(AlertRules.EVALUATION_INTERVAL_MS),
        c.getSecret(AlertRules.WEBHOOK_URL),
        c.getLong(AlertRules.WEBHOOK_REPEAT_INTERVAL_MS),
        c.getLong(AlertRules.WEBHOOK_TIMEOUT_MS),
        c.getInt(AlertRules.WEBHOOK_MAX_ATTEMPTS),
        Map.copyOf(rules));
  }

  /** The defaults of every key. */
  public static AlertSettings defaults() {
    return from(AlertRules.definition().parse(Map.of(), name -> null));
  }

  /** The settings of {@code rule}. */
  public AlertRule.RuleSettings of(AlertRule rule) {
    return rules.get(rule.name());
  }

  /** Whether a webhook is configured. */
  public boolean hasWebhook() {
    return !webhookUrl.reveal().isBlank();
  }
}
