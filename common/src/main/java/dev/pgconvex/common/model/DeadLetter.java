package dev.pgconvex.common.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A record that could not be processed, with the reason: the value of the {@code dlq} topic.
 *
 * @param stage which service gave up on it ({@code transformer}, {@code sink}...)
 * @param reason what is wrong, naming table, column or key, and what to do
 * @param topic where the record came from
 * @param partition its partition, or -1
 * @param offset its offset, or -1
 * @param key the original key as text, may be null
 * @param value the original value as text, may be null
 * @param ts when it was dead-lettered, epoch ms
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(
    String stage,
    String reason,
    String topic,
    int partition,
    long offset,
    String key,
    String value,
    long ts) {}
