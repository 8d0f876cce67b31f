package dev.pgconvex.cutover.barrier;

/**
 * The sink's confirmation of a marker on one ops partition: every op before the marker there is
 * applied in Convex (or skipped as older than what Convex holds).
 *
 * @param partition the ops partition
 * @param held rows the transformer held for a parent when it forwarded the marker (all its tasks'
 *     rows in that instance, so a conservative count): 0 proves no row that entered before the
 *     marker is still on its way to this partition
 * @param sourceAtMs when the source wrote the marker into Kafka, epoch ms
 * @param transformerAtMs when the transformer forwarded it to this partition, epoch ms
 * @param appliedAtMs when the sink confirmed it (Convex's clock), epoch ms
 */
public record Confirmation(
    int partition, long held, long sourceAtMs, long transformerAtMs, long appliedAtMs) {}
