package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.util.List;
import java.util.Map;

/**
 * The outcome for one table.
 *
 * @param table the Convex table
 * @param pgRows rows read from Postgres
 * @param convexDocs live documents in Convex (key rows with a document)
 * @param chunks chunks compared
 * @param mismatchedChunks chunks whose count or hash differed and held a differing key
 * @param counts differences per class (the lists may be cut, the counts are not)
 * @param missing rows without a document
 * @param extra documents without a row
 * @param different documents with a differing field
 * @param wrongRef documents with a reference not pointing at the document of its parent key
 * @param unkeyed documents no key row points at (not written by the pipeline)
 * @param unkeyedCheck how the absence of unkeyed documents was established
 * @param inFlight keys that changed during the verify and did not settle in time
 * @param inFlightCount their number
 */
public record TableResult(
    String table,
    long pgRows,
    long convexDocs,
    long chunks,
    long mismatchedChunks,
    Map<Finding.Kind, Long> counts,
    List<Finding> missing,
    List<Finding> extra,
    List<Finding> different,
    List<Finding> wrongRef,
    List<Finding> unkeyed,
    UnkeyedCheck unkeyedCheck,
    List<String> inFlight,
    long inFlightCount) {

  /** How the verify looked for unkeyed documents. */
  public enum UnkeyedCheck {
    /**
     * Convex's count of the table equalled the live keyed documents, with no pipeline op on the
     * table meanwhile: there can be none.
     */
    COUNT,
    /** The table was walked document by document. */
    WALK;

    String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** No difference of any class (keys in flight are not differences). */
  public boolean equal() {
    return counts.values().stream().allMatch(n -> n == 0);
  }

  public long count(Finding.Kind kind) {
    return counts.getOrDefault(kind, 0L);
  }

  /** Every listed difference. */
  public List<Finding> findings() {
    return java.util.stream.Stream.of(missing, extra, different, wrongRef, unkeyed)
        .flatMap(List::stream)
        .toList();
  }

  ObjectNode toJson() {
    ObjectNode o =
        Json.NODES
            .objectNode()
            .put("equal", equal())
            .put("pgRows", pgRows)
            .put("convexDocs", convexDocs)
            .put("chunks", chunks)
            .put("mismatchedChunks", mismatchedChunks)
            .put("unkeyedCheck", unkeyedCheck.json());
    ObjectNode c = o.putObject("counts");
    c.put("missing", count(Finding.Kind.MISSING))
        .put("extra", count(Finding.Kind.EXTRA))
        .put("different", count(Finding.Kind.DIFFERENT))
        .put("wrongRef", count(Finding.Kind.WRONG_REF))
        .put("unkeyed", count(Finding.Kind.UNKEYED))
        .put("inFlight", inFlightCount);
    o.set("missing", list(missing));
    o.set("extra", list(extra));
    o.set("different", list(different));
    o.set("wrongRef", list(wrongRef));
    o.set("unkeyed", list(unkeyed));
    ArrayNode f = o.putArray("inFlight");
    inFlight.forEach(k -> f.addObject().put("key", k));
    return o;
  }

  private static ArrayNode list(List<Finding> l) {
    ArrayNode a = Json.NODES.arrayNode();
    l.forEach(x -> a.add(x.toJson()));
    return a;
  }
}
