package dev.pgconvex.cutover;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.verify.Finding;
import dev.pgconvex.verify.MirrorCheck;
import dev.pgconvex.verify.TableResult;
import dev.pgconvex.verify.VerifyReport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The verify step on the verify module ({@link MirrorCheck}): {@code full} is {@code ./cdc
 * verify}'s chunked comparison of every table; {@code changed} reads from Convex the keys whose key
 * row changed at or after the baseline ({@code cdc/cutover:changedKeys}, key rows only) and
 * compares exactly those keys with Postgres ({@link MirrorCheck#compareKeys}).
 *
 * <p>What {@code changed} cannot see: a change the pipeline lost before Convex (its key row never
 * moved). The marker barrier proves every change before it reached Convex; {@code full} (or the
 * continuous verify, {@code verify.continuous.enabled}) is the check of the rest.
 */
public final class ChunkedMirrorVerify implements MirrorVerify {
  /** The query of changed keys. */
  public static final String CHANGED_KEYS = "cdc/cutover:changedKeys";

  private static final int LISTED = 5;

  private final LockFreeze.Connector pg;
  private final Mapping mapping;
  private final ConvexClient convex;
  private final int chunkRows;
  private final int parallel;

  public ChunkedMirrorVerify(
      LockFreeze.Connector pg, Mapping mapping, ConvexClient convex, int chunkRows, int parallel) {
    this.pg = pg;
    this.mapping = mapping;
    this.convex = convex;
    this.chunkRows = chunkRows;
    this.parallel = parallel;
  }

  @Override
  public Result verify(
      VerifyMode mode, Long sinceLsn, boolean frozen, Duration timeout, BooleanSupplier cancelled)
      throws Exception {
    ExecutorService pool =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "pgconvex-cutover-verify");
              t.setDaemon(true);
              return t;
            });
    try {
      Future<Result> f =
          pool.submit(
              () ->
                  mode == VerifyMode.CHANGED && sinceLsn != null
                      ? changed(sinceLsn, frozen)
                      : full(mode, frozen));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        try {
          return f.get(100, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          if (cancelled.getAsBoolean()) {
            f.cancel(true);
            throw new InterruptedException("cancelled");
          }
          if (System.nanoTime() >= deadline) {
            f.cancel(true);
            throw new CutoverException(
                "the verify did not finish within the time left of --max-pause-s ("
                    + timeout.toMillis()
                    + " ms): raise --max-pause-s, or rehearse with --verify full and cut over"
                    + " with --verify changed");
          }
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception x ? x : e;
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private MirrorCheck check(boolean frozen) {
    return new MirrorCheck(
        pg::open,
        mapping,
        convex,
        new MirrorCheck.Options(
            chunkRows,
            parallel,
            frozen ? Duration.ofSeconds(2) : Duration.ofSeconds(20),
            null,
            100),
        MirrorCheck.Progress.NONE);
  }

  private Result full(VerifyMode mode, boolean frozen) throws Exception {
    VerifyReport r = check(frozen).run(List.of());
    List<String> listed = new ArrayList<>();
    long count = 0;
    for (TableResult t : r.tables().values()) {
      for (Finding.Kind k : Finding.Kind.values()) {
        count += t.count(k);
      }
      if (frozen) {
        count += t.inFlightCount(); // nothing may be in flight while writes are frozen
        t.inFlight().forEach(k -> listed.add(t.table() + " " + k + ": changed during the verify"));
      }
      t.findings().forEach(f -> listed.add(t.table() + " " + f.key() + ": " + f.describe()));
    }
    String scope =
        String.format(
            Locale.ROOT,
            "%s: %,d rows in %d tables%s",
            mode == VerifyMode.FULL ? "full" : "changed (no clean verify recorded: everything)",
            r.rowsCompared(),
            r.tables().size(),
            r.warnings().isEmpty() ? "" : " (" + String.join("; ", r.warnings()) + ")");
    return new Result(count == 0, scope, first(listed), count);
  }

  private Result changed(long sinceLsn, boolean frozen) throws Exception {
    String since = Position.of(sinceLsn, 0);
    Map<String, List<String>> keys = new LinkedHashMap<>();
    long total = 0;
    for (TableMapping t : mapping.tables()) {
      List<String> k = new ArrayList<>();
      String cursor = null;
      while (true) {
        var args = Json.NODES.objectNode().put("table", t.target()).put("since", since);
        if (cursor != null) {
          args.put("cursor", cursor);
        }
        JsonNode page = convex.query(CHANGED_KEYS, args);
        page.path("page").forEach(n -> k.add(n.asText()));
        if (page.path("isDone").asBoolean(true)) {
          break;
        }
        cursor = page.path("continueCursor").asText();
      }
      if (!k.isEmpty()) {
        keys.put(t.target(), k);
        total += k.size();
      }
    }
    MirrorCheck check = check(frozen);
    Map<String, List<Finding>> found = keys.isEmpty() ? Map.of() : check.compareKeys(keys);
    // Writes go on during a rehearsal: a key found different may be on its way; compare it again.
    for (int attempt = 0; !frozen && attempt < 5 && count(found) > 0; attempt++) {
      Thread.sleep(1000); // the pipeline's lag, not a condition to wait for
      Map<String, List<String>> again = new LinkedHashMap<>();
      found.forEach((t, l) -> again.put(t, l.stream().map(Finding::key).toList()));
      found = check.compareKeys(again);
    }
    List<String> listed = new ArrayList<>();
    found.forEach((t, l) -> l.forEach(f -> listed.add(t + " " + f.key() + ": " + f.describe())));
    String scope =
        String.format(
            Locale.ROOT,
            "changed: %,d keys changed since %s in %d of %d tables",
            total,
            Position.lsnText(sinceLsn),
            keys.size(),
            mapping.tables().size());
    return new Result(count(found) == 0, scope, first(listed), count(found));
  }

  private static long count(Map<String, List<Finding>> found) {
    return found.values().stream().mapToLong(List::size).sum();
  }

  private static List<String> first(List<String> l) {
    return l.size() <= LISTED ? l : l.subList(0, LISTED);
  }

  @Override
  public Long quietLsn() throws Exception {
    List<String> tables =
        mapping.tables().stream()
            .map(t -> new QualifiedTable(t.schema(), t.table()).sql())
            .toList();
    try (Connection c = pg.open()) {
      for (int attempt = 0; attempt < 40; attempt++) {
        long lsn;
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
          rs.next();
          lsn = Position.parseLsn(rs.getString(1));
        }
        // Read after the LSN: a transaction holding a write lock on a captured table now may have
        // written before it; one that does not hold it has ended, so its changes are visible.
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM pg_locks WHERE mode = 'RowExclusiveLock' AND granted"
                    + " AND pid <> pg_backend_pid() AND relation = ANY (?::regclass[])")) {
          ps.setArray(1, c.createArrayOf("text", tables.toArray()));
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (rs.getLong(1) == 0) {
              return lsn;
            }
          }
        }
        Thread.sleep(25); // a moment without a write transaction open on the tables
      }
      return null;
    }
  }
}
