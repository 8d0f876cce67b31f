package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.sink.http.ConvexClient;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Verifies the mirror table by table: walks Postgres and Convex in source-key order in chunks of
 * {@link Options#chunkRows} rows, compares per chunk the document count and the order-independent
 * hash ({@link DocHash}; Convex computes its side in {@code cdc/verify:chunkHash}), and drills only
 * into chunks that differ, down to the keys. The Postgres side is translated here ({@link
 * MirrorVerifier#columnsDoc}), independently of the pipeline; a reference field must hold the id of
 * the live document of its parent key.
 *
 * <p>Live database: a key found different is re-checked once the pipeline has applied past the
 * Postgres position of the re-read (the lowest sink checkpoint in Convex), within {@link
 * Options#settleTimeout}; it is a difference only if it still differs then with its row unchanged,
 * and {@code in flight} if it changed during the verify and never settled ({@link Settler}).
 *
 * <p>After the chunk pass, the table itself is walked for documents no key row points at (written
 * by something other than the pipeline: {@link Finding.Kind#UNKEYED}).
 *
 * <p>Parts: {@link PostgresSide} and {@link ConvexSide} read, {@link KeyComparison} classifies one
 * key, {@link TableAccumulator} collects a table's outcome.
 *
 * <p>Memory: the rows of the chunks in progress ({@code 2 x parallel} chunks) and the differences
 * found, never a table. Not thread-safe; one {@link #run} at a time.
 */
public final class MirrorCheck {
  /**
   * @param chunkRows rows per chunk
   * @param parallel chunks compared at the same time
   * @param settleTimeout how long a differing key may take to settle
   * @param checkpointSource the sink checkpoint to wait for, or null for the lowest of all
   * @param maxListed differences kept per table and class (the counts go on)
   * @param idCacheEntries parent ids kept across chunks (0: none)
   */
  public record Options(
      int chunkRows,
      int parallel,
      Duration settleTimeout,
      String checkpointSource,
      int maxListed,
      int idCacheEntries) {
    public Options {
      if (chunkRows < 1 || parallel < 1 || idCacheEntries < 0) {
        throw new IllegalArgumentException(
            "chunkRows and parallel must be at least 1, idCacheEntries at least 0");
      }
    }

    public Options(
        int chunkRows,
        int parallel,
        Duration settleTimeout,
        String checkpointSource,
        int maxListed) {
      this(chunkRows, parallel, settleTimeout, checkpointSource, maxListed, DEFAULT_ID_CACHE);
    }
  }

  /**
   * Parent ids kept across chunks by default: none. On the demo tables at 100k rows the cache did
   * not pay (./cdc bench --verify --verify-id-cache N measures it).
   */
  public static final int DEFAULT_ID_CACHE = 0;

  /** Keys read from Postgres and Convex per statement or call when single keys are compared. */
  static final int KEY_BATCH = 500;

  /** Told of progress, from the scanning thread. */
  public interface Progress {
    /** Rows of the chunk pass handed out: of the table, of the whole run. */
    void rows(String table, long done, long total, long allDone, long allTotal);

    /** Documents of {@code table} walked so far for unkeyed ones (after its chunk pass). */
    default void unkeyedScanned(String table, long docs) {}

    Progress NONE = (t, d, tt, a, at) -> {};
  }

  /** Opens a new Postgres connection. */
  @FunctionalInterface
  public interface Connector {
    Connection open() throws SQLException;
  }

  private final Connector pg;
  private final Mapping mapping;
  private final Options options;
  private final Progress progress;
  private final ConvexSide convex;
  private final Settler settler;

  public MirrorCheck(
      Connector pg, Mapping mapping, ConvexClient convex, Options options, Progress progress) {
    this.pg = pg;
    this.mapping = mapping;
    this.options = options;
    this.progress = progress;
    this.convex = new ConvexSide(convex, options.idCacheEntries(), options.checkpointSource());
    this.settler = new Settler(pg, this.convex, options.settleTimeout());
  }

  /** Verifies {@code tables} (all of the mapping when empty). */
  public VerifyReport run(List<TableMapping> tables) throws SQLException, InterruptedException {
    long t0 = System.nanoTime();
    List<TableMapping> todo = tables.isEmpty() ? mapping.tables() : tables;
    if (todo.isEmpty()) {
      throw new VerifyException("no table to verify");
    }
    List<String> warnings = new ArrayList<>();
    Map<String, TableKey> keys = new LinkedHashMap<>();
    long allTotal = 0;
    StartPoint start;
    try (Connection c = pg.open()) {
      for (TableMapping t : todo) {
        keys.put(t.target(), TableKey.read(c, t));
      }
      for (TableMapping t : todo) {
        allTotal += PostgresSide.count(c, t);
      }
      start = PostgresSide.startPoint(c);
    }
    convex.ping(todo.get(0).target());
    boolean applying = settler.awaitApplied(start.lsn(), settler.deadline(), warnings);
    Map<String, TableResult> results = new LinkedHashMap<>();
    AtomicLong allDone = new AtomicLong();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            options.parallel(),
            r -> {
              Thread th = new Thread(r, "pgconvex-verify");
              th.setDaemon(true);
              return th;
            });
    try {
      for (TableMapping t : todo) {
        TableAccumulator acc = new TableAccumulator(t.target(), options.maxListed());
        TableKey tk = keys.get(t.target());
        ConvexSide.TableCount before = convex.tableCount(t.target());
        scan(t, tk, pool, acc, allDone, allTotal);
        unkeyed(t, acc, before);
        List<Candidate> candidates = acc.takeCandidates();
        if (!candidates.isEmpty()) {
          settler.settle(t, tk, candidates, acc, start, applying);
        }
        if (acc.truncated()) {
          warnings.add(
              t.target()
                  + ": more than "
                  + options.maxListed()
                  + " differences of one class; the lists are cut there");
        }
        results.put(t.target(), acc.result());
      }
    } finally {
      pool.shutdownNow();
    }
    long rows = results.values().stream().mapToLong(TableResult::pgRows).sum();
    return new VerifyReport(results, warnings, (System.nanoTime() - t0) / 1_000_000, rows);
  }

  /**
   * Compares single keys now, without settling (after a repair): per table, the keys still
   * different.
   */
  public Map<String, List<Finding>> compareKeys(Map<String, List<String>> keysByTable)
      throws SQLException {
    Map<String, List<Finding>> out = new LinkedHashMap<>();
    try (Connection c = pg.open()) {
      for (Map.Entry<String, List<String>> e : keysByTable.entrySet()) {
        TableMapping t = table(e.getKey());
        TableKey tk = TableKey.read(c, t);
        List<Finding> found = new ArrayList<>();
        for (List<String> batch : batches(e.getValue(), KEY_BATCH)) {
          Map<String, PgRow> rows = PostgresSide.readRows(c, t, tk, batch);
          Map<String, JsonNode> docs = convex.keyDocs(t.target(), batch, true);
          Map<String, Map<String, String>> ids = convex.parentIds(t, rows.values(), false);
          for (String key : batch) {
            Finding f = KeyComparison.classify(t, key, rows.get(key), docs.get(key), ids);
            if (f != null) {
              found.add(f);
            }
          }
        }
        out.put(e.getKey(), found);
      }
    }
    return out;
  }

  TableMapping table(String target) {
    return mapping
        .byTarget(target)
        .orElseThrow(() -> new VerifyException("no table " + target + " in the mapping"));
  }

  /**
   * The chunk pass of one table: one ordered scan of Postgres, cut into chunks handed to the pool
   * (at most {@code 2 x parallel} in memory), each compared with Convex's summary of its range.
   */
  private void scan(
      TableMapping t,
      TableKey tk,
      ExecutorService pool,
      TableAccumulator acc,
      AtomicLong allDone,
      long allTotal)
      throws SQLException, InterruptedException {
    try (Connection c = pg.open()) {
      long total = PostgresSide.count(c, t);
      c.setAutoCommit(false);
      c.setReadOnly(true);
      Semaphore slots = new Semaphore(options.parallel() * 2);
      List<Future<?>> futures = new ArrayList<>();
      try (Statement st = c.createStatement()) {
        st.setFetchSize(Math.min(options.chunkRows(), 5000));
        try (ResultSet rs = st.executeQuery(PostgresSide.scanSql(t, tk))) {
          String after = "";
          List<PgRow> rows = new ArrayList<>(options.chunkRows());
          long done = 0;
          boolean more = rs.next();
          while (true) {
            if (more) {
              rows.add(PostgresSide.row(t, rs));
              more = rs.next();
            }
            if (rows.size() == options.chunkRows() || !more) {
              String through = more ? rows.get(rows.size() - 1).key() : null;
              Chunk chunk = new Chunk(after, through, rows);
              slots.acquire();
              futures.add(
                  pool.submit(
                      () -> {
                        try {
                          compareChunk(t, chunk, acc);
                        } finally {
                          slots.release();
                        }
                        return null;
                      }));
              done += rows.size();
              progress.rows(t.target(), done, total, allDone.addAndGet(rows.size()), allTotal);
              if (!more) {
                break;
              }
              after = through;
              rows = new ArrayList<>(options.chunkRows());
              reap(futures);
            }
          }
        }
      }
      c.commit();
      for (Future<?> f : futures) {
        await(f);
      }
    }
  }

  /** One chunk: Convex's count and hash against the rows', and the keys when they differ. */
  private void compareChunk(TableMapping t, Chunk chunk, TableAccumulator acc) {
    Map<String, Map<String, String>> ids = convex.parentIds(t, chunk.rows(), true);
    long pgHash = 0;
    for (PgRow row : chunk.rows()) {
      pgHash = DocHash.add(pgHash, DocHash.of(row.key(), KeyComparison.expected(row, ids)));
    }
    ConvexSide.Summary summary = convex.summary(t.target(), chunk.after(), chunk.through());
    acc.chunk(chunk.rows().size(), summary.count());
    if (summary.count() == chunk.rows().size() && summary.hash() == pgHash) {
      return;
    }
    // Drill down: the documents of the range against the rows.
    Map<String, PgRow> byKey = new LinkedHashMap<>();
    chunk.rows().forEach(r -> byKey.put(r.key(), r));
    List<Candidate> found = new ArrayList<>();
    convex.entries(
        t.target(),
        chunk.after(),
        chunk.through(),
        e -> {
          String key = e.get("key").asText();
          PgRow row = byKey.remove(key);
          Finding f = KeyComparison.classify(t, key, row, e, ids);
          if (f != null) {
            found.add(new Candidate(f, row, e.get("position").asText()));
          }
        });
    for (PgRow row : byKey.values()) {
      found.add(new Candidate(KeyComparison.classify(t, row.key(), row, null, ids), row, null));
    }
    for (Candidate c : found) {
      if (c.finding.kind() == Finding.Kind.WRONG_REF && c.row != null) {
        convex.forgetParents(c.row);
      }
    }
    acc.mismatched(found);
  }

  /**
   * The documents of the table no key row points at. When Convex's count of the table equals the
   * live documents the chunk pass found and no op of the pipeline touched the table meanwhile (its
   * highest key-row position unchanged), there can be none and the walk is skipped; otherwise the
   * table is walked. No settling: the pipeline writes a document and its key row in one
   * transaction, so a page never sees one without the other.
   */
  private void unkeyed(TableMapping t, TableAccumulator acc, ConvexSide.TableCount before) {
    ConvexSide.TableCount after = before == null ? null : convex.tableCount(t.target());
    if (after != null
        && after.count() == acc.convexDocs()
        && Objects.equals(before.maxPosition(), after.maxPosition())) {
      acc.unkeyedCheck(TableResult.UnkeyedCheck.COUNT);
      return;
    }
    acc.unkeyedCheck(TableResult.UnkeyedCheck.WALK);
    convex.unkeyed(
        t.target(),
        docs -> progress.unkeyedScanned(t.target(), docs),
        e ->
            acc.confirmed(
                new Finding(
                    Finding.Kind.UNKEYED,
                    null,
                    null,
                    null,
                    abbreviate(e.get("doc").toString()),
                    null,
                    e.get("id").asText(),
                    null)));
  }

  /** A document's JSON cut for a report line. */
  private static String abbreviate(String json) {
    return json.length() <= 300 ? json : json.substring(0, 300) + "...";
  }

  private static void reap(List<Future<?>> futures) throws InterruptedException {
    for (Iterator<Future<?>> it = futures.iterator(); it.hasNext(); ) {
      Future<?> f = it.next();
      if (f.isDone()) {
        await(f);
        it.remove();
      }
    }
  }

  private static void await(Future<?> f) throws InterruptedException {
    try {
      f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new VerifyException(e.getCause().toString(), e.getCause());
    }
  }

  static <T> List<List<T>> batches(List<T> all, int size) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += size) {
      out.add(all.subList(i, Math.min(all.size(), i + size)));
    }
    return out;
  }

  /** A range of the scan: keys in {@code (after, through]} ({@code through} null: to the end). */
  private record Chunk(String after, String through, List<PgRow> rows) {}
}
