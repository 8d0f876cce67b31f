package dev.pgconvex.operations.alerts;

/**
 * A change of an alert's state, as delivered to the log, the gauge and the webhook.
 *
 * @param alert the rule's name
 * @param severity its severity
 * @param status {@link Status#FIRING}, {@link Status#RESOLVED} or {@link Status#REPEAT}
 * @param reason what was seen (for resolved: what it was when it last held)
 * @param value the figure when it last held
 * @param threshold the rule's threshold
 * @param startsAtMs when the condition began to hold (epoch ms)
 * @param atMs when this event happened
 * @param fix what to do
 */
public record AlertEvent(
    String alert,
    Severity severity,
    Status status,
    String reason,
    double value,
    long threshold,
    long startsAtMs,
    long atMs,
    String fix) {

  /** What happened to the alert. */
  public enum Status {
    /** It began to fire. */
    FIRING,
    /** It still fires (posted again after the repeat interval). */
    REPEAT,
    /** It stopped firing. */
    RESOLVED
  }
}
