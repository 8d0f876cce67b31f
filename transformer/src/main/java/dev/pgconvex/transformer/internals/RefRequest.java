package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Asks the resolver for the Convex id of {@code parentRef} on behalf of a child relation; keyed by
 * the parent ref. With {@code cancel} it withdraws an earlier request of the same child field.
 *
 * @param knownId the id the assembler already wrote for this relation (from its cache of ids the
 *     resolver sent it), or null: the resolver answers only when its own id differs, so the usual
 *     case costs no answer (docs/contracts.md, "Internal topics and stores")
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RefRequest(
    String parentRef,
    String childRef,
    String field,
    String position,
    boolean cancel,
    String knownId) {
  /** A request that knows no id yet (or a cancel). */
  public RefRequest(
      String parentRef, String childRef, String field, String position, boolean cancel) {
    this(parentRef, childRef, field, position, cancel, null);
  }
}
