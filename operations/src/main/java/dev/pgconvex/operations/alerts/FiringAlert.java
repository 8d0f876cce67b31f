package dev.pgconvex.operations.alerts;

/**
 * An alert that fires now ({@code GET /alerts}, {@code ./cdc status --json}).
 *
 * @param alert the rule's name
 * @param severity its severity
 * @param reason what is seen, with the figure and the threshold
 * @param value the figure
 * @param sinceMs since when the condition holds (epoch ms)
 * @param fix what to do
 */
public record FiringAlert(
    String alert, Severity severity, String reason, double value, long sinceMs, String fix) {}
