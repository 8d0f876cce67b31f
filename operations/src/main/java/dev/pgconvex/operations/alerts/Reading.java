package dev.pgconvex.operations.alerts;

/**
 * What a rule saw when its condition held.
 *
 * @param value the figure compared with the threshold (ms, bytes, a count)
 * @param reason one line for people: what is wrong, with the figure and the threshold
 */
public record Reading(double value, String reason) {}
