package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.sink.http.ConvexClient;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Repairs what a {@link VerifyReport} found: the keys missing, different or with a wrong reference
 * are re-read by the running pipeline (a resync signal whose condition names exactly those keys),
 * the extra documents are deleted through {@code cdc/ingest:applyBatch} (a delete just above the
 * document's position, so any later change of the row still wins), and the documents no key row
 * points at through {@code cdc/ingest:deleteUnkeyed} (which keeps any the pipeline has claimed
 * meanwhile). Then it compares those keys again until they are equal or the timeout passes.
 */
public final class MirrorRepair {
  private static final int KEYS_PER_SIGNAL = 200;
  private static final int DELETES_PER_BATCH = 500;
  static final String DELETE_UNKEYED = "cdc/ingest:deleteUnkeyed";

  /** Asks the running source to re-read the rows of {@code table} matching {@code condition}. */
  @FunctionalInterface
  public interface Resync {
    void request(Connection c, TableMapping table, String condition) throws SQLException;
  }

  /**
   * @param requested per table, the keys re-synced or deleted
   * @param remaining per table, what still differs after the repair
   */
  public record Result(Map<String, List<String>> requested, Map<String, List<Finding>> remaining) {
    public boolean fixed() {
      return remaining.values().stream().allMatch(List::isEmpty);
    }

    public ObjectNode toJson() {
      ObjectNode o = Json.NODES.objectNode().put("fixed", fixed());
      ObjectNode req = o.putObject("requested");
      requested.forEach((t, keys) -> req.put(t, keys.size()));
      ObjectNode rem = o.putObject("remaining");
      remaining.forEach(
          (t, l) -> {
            ArrayNode a = rem.putArray(t);
            l.forEach(f -> a.add(f.toJson().put("kind", f.kind().name())));
          });
      return o;
    }
  }

  private final MirrorCheck check;
  private final MirrorCheck.Connector pg;
  private final ConvexClient convex;
  private final Resync resync;

  public MirrorRepair(
      MirrorCheck check, MirrorCheck.Connector pg, ConvexClient convex, Resync resync) {
    this.check = check;
    this.pg = pg;
    this.convex = convex;
    this.resync = resync;
  }

  /** Repairs every listed difference of {@code report} and re-checks those keys. */
  public Result repair(VerifyReport report, Duration timeout)
      throws SQLException, InterruptedException {
    Map<String, List<String>> requested = new LinkedHashMap<>();
    Map<String, List<String>> recheck = new LinkedHashMap<>();
    try (Connection c = pg.open()) {
      for (TableResult r : report.tables().values()) {
        TableMapping t = check.table(r.table());
        TableKey tk = TableKey.read(c, t);
        List<String> reread = new ArrayList<>();
        for (List<Finding> l : List.of(r.missing(), r.different(), r.wrongRef())) {
          l.forEach(f -> reread.add(f.key()));
        }
        for (int i = 0; i < reread.size(); i += KEYS_PER_SIGNAL) {
          List<String> part = reread.subList(i, Math.min(reread.size(), i + KEYS_PER_SIGNAL));
          resync.request(c, t, tk.literalCondition(part));
        }
        deleteExtras(t, r.extra());
        List<String> all = new ArrayList<>(reread);
        r.extra().forEach(f -> all.add(f.key()));
        if (!all.isEmpty()) {
          recheck.put(t.target(), all);
        }
        List<String> asked = new ArrayList<>(all);
        for (String id : deleteUnkeyed(t, r.unkeyed())) {
          asked.add("(no key) " + id);
        }
        if (!asked.isEmpty()) {
          requested.put(t.target(), asked);
        }
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, List<Finding>> remaining;
    while (true) {
      remaining = check.compareKeys(recheck);
      if (remaining.values().stream().allMatch(List::isEmpty) || System.nanoTime() >= deadline) {
        break;
      }
      Thread.sleep(500);
    }
    return new Result(requested, remaining);
  }

  /**
   * Deletes the unkeyed documents; returns the ids asked for. Convex answers which it deleted; one
   * the pipeline claimed meanwhile (a key row now points at it) is kept and no longer unkeyed.
   */
  private List<String> deleteUnkeyed(TableMapping t, List<Finding> unkeyed) {
    List<String> ids = new ArrayList<>();
    for (List<Finding> batch : MirrorCheck.batches(unkeyed, DELETES_PER_BATCH)) {
      ArrayNode arr = Json.NODES.arrayNode();
      for (Finding f : batch) {
        arr.add(f.docId());
        ids.add(f.docId());
      }
      ObjectNode args = Json.NODES.objectNode().put("table", t.target());
      args.set("ids", arr);
      convex.mutation(DELETE_UNKEYED, args);
    }
    return ids;
  }

  private void deleteExtras(TableMapping t, List<Finding> extras) {
    for (int i = 0; i < extras.size(); i += DELETES_PER_BATCH) {
      ArrayNode ops = Json.NODES.arrayNode();
      for (Finding f : extras.subList(i, Math.min(extras.size(), i + DELETES_PER_BATCH))) {
        ops.addObject()
            .put("table", t.target())
            .put("key", f.key())
            .put("op", "delete")
            .put("position", Position.after(f.position()));
      }
      ObjectNode args = Json.NODES.objectNode();
      args.set("ops", ops);
      convex.mutation("cdc/ingest:applyBatch", args);
    }
  }
}
