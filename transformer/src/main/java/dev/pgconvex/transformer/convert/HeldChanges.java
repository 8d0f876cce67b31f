package dev.pgconvex.transformer.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.transformer.internals.HeldTable;
import dev.pgconvex.transformer.internals.PendingCounts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The changes one converter task holds for tables in schema drift ({@link SchemaDriftException}),
 * in the task's {@code held-changes} store (changelogged, so a restart keeps them in order): per
 * table its {@link HeldTable} under {@code m\0<table>} and its changes under {@code
 * c\0<table>\0<seq>}, in arrival order. Once a table is held, every later change of it in this task
 * is held too, so nothing overtakes what waits; {@link #release} lets them go, in order, once the
 * oldest matches the mapping in force. Used by the task's stream thread only.
 */
final class HeldChanges {
  private static final Logger LOG = LoggerFactory.getLogger(HeldChanges.class);

  /** Changes released per table and call: the stream thread stays responsive. */
  static final int RELEASE_BATCH = 5_000;

  /** A held record with where it came from. */
  record Held(Record<String, String> record, String topic, int partition, long offset) {}

  /** Converts and forwards a released record; returns the drift when it still does not match. */
  interface Handler {
    SchemaDriftException handle(String table, Held held);
  }

  private final KeyValueStore<String, String> store;
  private final String task;
  private final PendingCounts counts;
  private final long maxChanges;
  private final Map<String, HeldTable> tables = new HashMap<>();

  HeldChanges(KeyValueStore<String, String> store, String task, PendingCounts counts, long max) {
    this.store = store;
    this.task = task;
    this.counts = counts;
    this.maxChanges = max;
    // Processors are initialised after restoration: what the store holds is complete.
    try (KeyValueIterator<String, String> it = store.range("m\u0000", "m\u0001")) {
      while (it.hasNext()) {
        HeldTable h = Json.MAPPER.convertValue(Json.parse(it.next().value), HeldTable.class);
        tables.put(h.table(), h);
        counts.heldTable(task, h.table(), h);
      }
    }
  }

  boolean isHeld(String table) {
    return tables.containsKey(table);
  }

  long maxChanges() {
    return maxChanges;
  }

  /**
   * Holds a record of {@code table} behind the ones held already.
   *
   * @param drift why, for the first change of a table not held yet; null when it is held already
   * @return false when the table holds {@link #maxChanges} already (the record is not held)
   */
  boolean append(
      String table,
      Record<String, String> record,
      String topic,
      int partition,
      long offset,
      SchemaDriftException drift) {
    HeldTable h = tables.get(table);
    if (h == null) {
      h =
          new HeldTable(
              table,
              drift == null ? table + ": held" : drift.getMessage(),
              positionOf(record.value()),
              System.currentTimeMillis(),
              0,
              0,
              0);
      LOG.warn("{} (task {}, since {})", h.reason(), task, h.sincePosition());
    }
    if (h.changes() >= maxChanges) {
      return false;
    }
    ObjectNode v = Json.NODES.objectNode();
    v.put("k", record.key());
    v.put("v", record.value());
    v.put("t", topic);
    v.put("p", partition);
    v.put("o", offset);
    v.put("ts", record.timestamp());
    store.put(changeKey(table, h.nextSeq()), Json.write(v));
    save(h.appended());
    return true;
  }

  /** Lets go of what now matches, in order; see the class comment. */
  void release(Handler handler) {
    for (String table : new ArrayList<>(tables.keySet())) {
      HeldTable h = tables.get(table);
      List<String> done = new ArrayList<>();
      String stillDrifting = null;
      try (KeyValueIterator<String, String> it =
          store.range(changeKey(table, h.firstSeq()), "c\u0000" + table + "\u0001")) {
        while (it.hasNext() && done.size() < RELEASE_BATCH) {
          KeyValue<String, String> kv = it.next();
          JsonNode v = Json.parse(kv.value);
          Held r =
              new Held(
                  new Record<>(
                      v.path("k").isNull() ? null : v.path("k").asText(),
                      v.path("v").isNull() ? null : v.path("v").asText(),
                      v.path("ts").asLong()),
                  v.path("t").asText(),
                  v.path("p").asInt(),
                  v.path("o").asLong());
          SchemaDriftException d = handler.handle(table, r);
          if (d != null) {
            stillDrifting = d.getMessage();
            break;
          }
          done.add(kv.key);
        }
      }
      done.forEach(store::delete);
      HeldTable after = h.released(done.size());
      if (stillDrifting != null && !stillDrifting.equals(after.reason())) {
        after = after.because(stillDrifting);
      }
      if (after.changes() <= 0) {
        store.delete(metaKey(table));
        tables.remove(table);
        counts.heldTable(task, table, null);
        LOG.info(
            "{}: the mapping matches again; {} held change(s) went on in order (task {})",
            table,
            done.size(),
            task);
      } else if (after != h) {
        if (!done.isEmpty()) {
          LOG.info(
              "{}: released {} held change(s), {} left (task {})",
              table,
              done.size(),
              after.changes(),
              task);
        }
        save(after);
      }
    }
  }

  void close() {
    tables.keySet().forEach(t -> counts.heldTable(task, t, null));
  }

  private void save(HeldTable h) {
    tables.put(h.table(), h);
    store.put(metaKey(h.table()), Json.write(h));
    counts.heldTable(task, h.table(), h);
  }

  private static String metaKey(String table) {
    return "m\u0000" + table;
  }

  private static String changeKey(String table, long seq) {
    return "c\u0000" + table + "\u0000" + String.format("%019d", seq);
  }

  // The position of a change event (its source LSN), for the status; the snapshot position else.
  private static String positionOf(String value) {
    try {
      JsonNode lsn = Json.parse(value).path("source").path("lsn");
      return lsn.isNumber() ? Position.of(lsn.asLong(), 0) : Position.SNAPSHOT;
    } catch (RuntimeException e) {
      return Position.SNAPSHOT;
    }
  }
}
