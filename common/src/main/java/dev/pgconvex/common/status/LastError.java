package dev.pgconvex.common.status;

/**
 * The last error a stage met (it may have recovered since): the message, never a secret, and when.
 *
 * @param message what went wrong and, where known, how to fix it
 * @param atEpochMs when it happened
 */
public record LastError(String message, long atEpochMs) {}
