package dev.pgconvex.cli.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.verify.MirrorVerifier;
import java.util.List;
import java.util.Map;

/**
 * The JSON summary printed by {@code --exit-when-synced --json}: {@code synced}, {@code tables}
 * (per table {@code pgRows}, {@code convexDocs}), {@code unresolvedRefs}, {@code elapsedMs}, {@code
 * mismatches} and, when not synced, {@code reason}.
 */
public record SyncResult(
    boolean synced,
    Map<String, MirrorVerifier.TableReport> tables,
    long unresolvedRefs,
    long elapsedMs,
    List<String> mismatches,
    String reason) {

  /**
   * A verdict of {@code synced} with a table whose counts differ is a contradiction: it becomes not
   * synced, and the reason names every such table and by how much.
   */
  public SyncResult {
    tables = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tables));
    mismatches = List.copyOf(mismatches);
    String differing = countDifferences(tables);
    if (!differing.isEmpty()) {
      reason = (synced || reason == null ? "" : reason + "; ") + "counts differ: " + differing;
      synced = false;
    }
  }

  /** {@code payment: postgres 16229, convex 16049 (-180)} for each table whose counts differ. */
  static String countDifferences(Map<String, MirrorVerifier.TableReport> tables) {
    return tables.entrySet().stream()
        .filter(e -> e.getValue().pgRows() != e.getValue().convexDocs())
        .map(
            e ->
                String.format(
                    java.util.Locale.ROOT,
                    "%s: postgres %d, convex %d (%+d)",
                    e.getKey(),
                    e.getValue().pgRows(),
                    e.getValue().convexDocs(),
                    e.getValue().convexDocs() - e.getValue().pgRows()))
        .collect(java.util.stream.Collectors.joining("; "));
  }

  public ObjectNode toJson() {
    ObjectNode root = Json.NODES.objectNode();
    root.put("synced", synced);
    ObjectNode t = root.putObject("tables");
    tables.forEach(
        (name, r) -> t.putObject(name).put("pgRows", r.pgRows()).put("convexDocs", r.convexDocs()));
    root.put("unresolvedRefs", unresolvedRefs);
    root.put("elapsedMs", elapsedMs);
    mismatches.forEach(root.putArray("mismatches")::add);
    if (reason != null) {
      root.put("reason", reason);
    }
    return root;
  }
}
