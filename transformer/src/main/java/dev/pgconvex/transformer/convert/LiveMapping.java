package dev.pgconvex.transformer.convert;

import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The mapping the converters run on, replaceable while the transformer runs by one whose tables,
 * keys and relations are the same (a schema evolution changes columns only: {@code ./cdc schema
 * evolve}). Every converter task picks a new mapping up before its next record and then releases
 * the changes it held for schema drift, in order. Thread-safe.
 */
public final class LiveMapping {
  private record Versioned(Mapping mapping, long version) {}

  private volatile Versioned current;

  public LiveMapping(Mapping mapping) {
    this.current = new Versioned(Objects.requireNonNull(mapping, "mapping"), 0);
  }

  public Mapping mapping() {
    return current.mapping();
  }

  /** Increases with each mapping taken. */
  public long version() {
    return current.version();
  }

  /**
   * Takes {@code next} when only columns differ from the mapping in force.
   *
   * @return what differs beyond columns (the transformer must be restarted for it); empty when
   *     {@code next} was taken or equals the mapping in force
   */
  public synchronized List<String> offer(Mapping next) {
    Versioned now = current;
    if (now.mapping().equals(next)) {
      return List.of();
    }
    List<String> problems = incompatibilities(now.mapping(), next);
    if (problems.isEmpty()) {
      current = new Versioned(next, now.version() + 1);
    }
    return problems;
  }

  /** What differs between two mappings beyond columns; empty when only columns differ. */
  static List<String> incompatibilities(Mapping running, Mapping next) {
    List<String> out = new ArrayList<>();
    Map<String, TableMapping> before = running.bySource();
    Map<String, TableMapping> after = next.bySource();
    for (String t : before.keySet()) {
      if (!after.containsKey(t)) {
        out.add("table " + t + " was removed");
      }
    }
    for (var e : after.entrySet()) {
      TableMapping b = before.get(e.getKey());
      TableMapping a = e.getValue();
      if (b == null) {
        out.add("table " + e.getKey() + " was added");
        continue;
      }
      if (!b.target().equals(a.target())) {
        out.add("table " + e.getKey() + " now goes to " + a.target() + " instead of " + b.target());
      }
      if (!b.primaryKey().equals(a.primaryKey())) {
        out.add("table " + e.getKey() + " has another key " + a.primaryKey());
      }
      if (!b.relations().equals(a.relations())) {
        out.add("table " + e.getKey() + " has other relations");
      }
    }
    return out;
  }
}
