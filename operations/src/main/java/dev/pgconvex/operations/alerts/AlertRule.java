package dev.pgconvex.operations.alerts;

import java.util.function.Function;

/**
 * One alert: its condition as the pipeline evaluates it and as a Prometheus expression, both from
 * this one definition (so the rules file and the in-process alerts cannot drift), and its config
 * keys.
 *
 * @param name the alert's name ({@code alert} label), e.g. {@code PipelineStalled}
 * @param severity how urgent
 * @param keyBase the middle of its config keys: {@code alerts.<keyBase>.for.ms}, ...
 * @param threshold the threshold key's suffix and unit (e.g. {@code threshold.ms}), null for a rule
 *     without a threshold
 * @param defaultThreshold the threshold's default
 * @param defaultForMs how long the condition must hold before the alert fires, by default
 * @param defaultWindowMs for a rule on a counter, the window its increase is taken over; -1 for
 *     none
 * @param summary what it means, for the docs and the annotations
 * @param fix what to do about it, for the log line and the webhook
 * @param condition the in-process condition
 * @param promql the Prometheus expression for given settings
 */
public record AlertRule(
    String name,
    Severity severity,
    String keyBase,
    String threshold,
    long defaultThreshold,
    long defaultForMs,
    long defaultWindowMs,
    String summary,
    String fix,
    Condition condition,
    Function<RuleSettings, String> promql) {

  /** The key of its threshold, or null. */
  public String thresholdKey() {
    return threshold == null ? null : "alerts." + keyBase + "." + threshold;
  }

  /** The key of its {@code for} duration. */
  public String forKey() {
    return "alerts." + keyBase + ".for.ms";
  }

  /** The key of its counter window, or null. */
  public String windowKey() {
    return defaultWindowMs < 0 ? null : "alerts." + keyBase + ".window.ms";
  }

  /** The settings in force for one rule. */
  public record RuleSettings(long threshold, long forMs, long windowMs) {}

  /** The rule's condition, evaluated in the pipeline. */
  @FunctionalInterface
  public interface Condition {
    /**
     * @param in what the stages report now
     * @param s the rule's settings
     * @param counters increases of counters over windows, kept across evaluations
     * @return the reading when the condition holds, null when it does not (or cannot be told)
     */
    Reading test(AlertInputs in, RuleSettings s, CounterWindows counters);
  }
}
