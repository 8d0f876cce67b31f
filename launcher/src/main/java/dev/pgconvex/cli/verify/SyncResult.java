package dev.pgconvex.cli.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
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
