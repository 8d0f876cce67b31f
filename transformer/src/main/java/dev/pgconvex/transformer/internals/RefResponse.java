package dev.pgconvex.transformer.internals;

/**
 * The resolver's answer to a {@link RefRequest}: the parent's Convex id, echoing the request's
 * position so the assembler can drop stale answers. Keyed by the child ref. A null {@code id} means
 * "not known yet; you will get another answer when it is".
 */
public record RefResponse(
    String childRef, String field, String parentRef, String id, String position) {}
