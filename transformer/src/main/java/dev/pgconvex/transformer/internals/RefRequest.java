package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Asks the resolver for the Convex id of {@code parentRef} on behalf of a child relation; keyed by
 * the parent ref. With {@code cancel} it withdraws an earlier request of the same child field.
 *
 * @param knownId the id the assembler already wrote for this relation (from its cache of ids the
 *     resolver sent it), or null: the resolver answers only when its own id differs, so the usual
 *     case costs no answer (docs/contracts.md, "Internal topics and stores")
 * @param required true when the child cannot be written without the parent: "not known yet" is then
 *     not answered (it would change nothing; the id is sent when it is known); false when the child
 *     waits for that answer to be written without the field; null in requests written before this
 *     field existed, which are always answered
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RefRequest(
    String parentRef,
    String childRef,
    String field,
    String position,
    boolean cancel,
    String knownId,
    Boolean required) {
  /** A request that knows no id yet (or a cancel), answered even with "not known yet". */
  public RefRequest(
      String parentRef, String childRef, String field, String position, boolean cancel) {
    this(parentRef, childRef, field, position, cancel, null, null);
  }
}
