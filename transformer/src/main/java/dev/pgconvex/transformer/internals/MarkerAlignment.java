package dev.pgconvex.transformer.internals;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * Aligns a node's copies of one marker: the node forwards a marker once it holds it from every
 * input it expects one from, because only then has everything before the marker in each of its
 * inputs passed it (the alignment of Chandy-Lamport snapshots; a duplicate, e.g. replayed after a
 * restart, counts once). One instance per processor (per task), used by its stream thread only.
 *
 * <p>In memory on purpose: a marker is a short-lived barrier, not data. A task restarted while it
 * waits for some copies may never complete that marker; the cutover waiting for it times out,
 * releases and says so, and the next marker starts afresh. At most {@value #MAX_OPEN} markers are
 * held open; the oldest is dropped beyond that.
 */
public final class MarkerAlignment {
  static final int MAX_OPEN = 64;

  private final IntSupplier expected;
  private final Map<String, Open> open =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Open> eldest) {
          return size() > MAX_OPEN;
        }
      };

  private static final class Open {
    final Set<String> from = new HashSet<>();
    long held;
  }

  /**
   * @param expected how many distinct senders each marker comes from at this node
   */
  public MarkerAlignment(IntSupplier expected) {
    this.expected = expected;
  }

  /**
   * Takes one copy of a marker.
   *
   * @return the marker with the most {@code held} any copy carried, once the last expected copy
   *     arrived (then forgotten, so it is returned once); empty before
   */
  public Optional<MarkerMsg> offer(MarkerMsg m) {
    Open o = open.computeIfAbsent(m.id(), k -> new Open());
    o.from.add(m.from());
    o.held = Math.max(o.held, m.held());
    if (o.from.size() < expected.getAsInt()) {
      return Optional.empty();
    }
    open.remove(m.id());
    return Optional.of(m.sentBy(m.from(), o.held));
  }
}
