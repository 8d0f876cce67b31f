package dev.pgconvex.transformer.internals;

/** A record of the ids topic: the document's Convex id, or null when it was deleted. */
public record IdUpdate(String id) {}
