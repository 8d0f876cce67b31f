package dev.pgconvex.schema;

import dev.pgconvex.schema.CatalogQueries.Raw;
import dev.pgconvex.schema.CatalogQueries.RawFk;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The captured tables as a graph of required (NOT NULL) foreign keys, child to parent, and the
 * edges that lie on a cycle: those relations become optional so one side of the cycle can be
 * written first and patched later. Stateless.
 */
final class RelationGraph {
  private RelationGraph() {}

  /**
   * Edges {@code child->parent} of required (NOT NULL) foreign keys that lie on a cycle, self loops
   * included.
   */
  static Set<String> cyclicEdges(Map<String, Raw> raws) {
    Map<String, List<String>> graph = new HashMap<>();
    for (Raw r : raws.values()) {
      for (RawFk fk : r.fks) {
        boolean required =
            fk.columns().stream()
                .allMatch(c -> r.columns.containsKey(c) && !r.columns.get(c).nullable);
        if (required && raws.containsKey(fk.parent())) {
          graph.computeIfAbsent(r.qualified(), k -> new ArrayList<>()).add(fk.parent());
        }
      }
    }
    Set<String> out = new LinkedHashSet<>();
    for (var e : graph.entrySet()) {
      for (String parent : e.getValue()) {
        if (reaches(graph, parent, e.getKey(), new LinkedHashSet<>())) {
          out.add(e.getKey() + "->" + parent);
        }
      }
    }
    return out;
  }

  private static boolean reaches(
      Map<String, List<String>> graph, String from, String to, Set<String> seen) {
    if (from.equals(to)) {
      return true;
    }
    if (!seen.add(from)) {
      return false;
    }
    for (String next : graph.getOrDefault(from, List.of())) {
      if (reaches(graph, next, to, seen)) {
        return true;
      }
    }
    return false;
  }
}
