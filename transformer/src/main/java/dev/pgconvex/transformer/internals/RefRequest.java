package dev.pgconvex.transformer.internals;

/**
 * Asks the resolver for the Convex id of {@code parentRef} on behalf of a child relation; keyed by
 * the parent ref. With {@code cancel} it withdraws an earlier request of the same child field.
 */
public record RefRequest(
    String parentRef, String childRef, String field, String position, boolean cancel) {}
