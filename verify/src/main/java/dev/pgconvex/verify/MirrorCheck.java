package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.verify.MirrorVerifier.ParentRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
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
 * and {@code in flight} if it changed during the verify and never settled.
 *
 * <p>Memory: the rows of the chunks in progress ({@code 2 x parallel} chunks) and the differences
 * found, never a table. Not thread-safe; one {@link #run} at a time.
 */
public final class MirrorCheck {
  static final String CHUNK_HASH = "cdc/verify:chunkHash";
  static final String RANGE_DOCS = "cdc/verify:rangeDocs";
  static final String KEY_DOCS = "cdc/verify:keyDocs";
  static final String CHECKPOINTS = "cdc/verify:checkpoints";
  private static final int KEY_BATCH = 500;
  private static final Duration POLL = Duration.ofMillis(200);

  /**
   * How long a difference must last, with the pipeline applied past its row, before it counts
   * (unless the settle timeout is shorter).
   */
  static final Duration GRACE = Duration.ofSeconds(5);

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

  /** Told of progress, from the scanning thread. */
  public interface Progress {
    void rows(String table, long done, long total, long allDone, long allTotal);

    Progress NONE = (t, d, tt, a, at) -> {};
  }

  /** Opens a new Postgres connection. */
  @FunctionalInterface
  public interface Connector {
    Connection open() throws SQLException;
  }

  private final Connector pg;
  private final Mapping mapping;
  private final ConvexClient convex;
  private final Options options;
  private final Progress progress;
  private StartPoint start;
  private boolean applying;

  /**
   * Ids of parent documents seen in earlier chunks of this run, bounded (least recently used out),
   * so a parent referred to by many children is looked up once. Used only by the chunk pass: a
   * stale entry (a parent re-created meanwhile) makes its chunk differ, and the re-check of the
   * keys reads every id afresh.
   */
  private final Map<String, String> idCache;

  public MirrorCheck(
      Connector pg, Mapping mapping, ConvexClient convex, Options options, Progress progress) {
    this.pg = pg;
    this.mapping = mapping;
    this.convex = convex;
    this.options = options;
    this.progress = progress;
    int max = options.idCacheEntries();
    this.idCache =
        java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(1024, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, String> e) {
                return size() > max;
              }
            });
  }

  /** Where Postgres was when the verify began. */
  record StartPoint(long lsn, long xmax32, Set<Long> xip32) {
    boolean newer(long xmin) {
      return xmin >= 0 && (((xmin - xmax32) & 0xFFFFFFFFL) < 0x80000000L || xip32.contains(xmin));
    }
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
    try (Connection c = pg.open()) {
      for (TableMapping t : todo) {
        keys.put(t.target(), TableKey.read(c, t));
      }
      for (TableMapping t : todo) {
        allTotal += count(c, t);
      }
      start = startPoint(c);
    }
    checkConvex(todo.get(0));
    applying = awaitApplied(start.lsn(), deadline(), warnings);
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
        results.put(
            t.target(), verifyTable(t, keys.get(t.target()), pool, allDone, allTotal, warnings));
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
          Map<String, PgRow> rows = readRows(c, t, tk, batch);
          Map<String, JsonNode> docs = keyDocs(t.target(), batch, true);
          Map<String, Map<String, String>> ids = parentIds(t, rows.values(), false);
          for (String key : batch) {
            Finding f = classify(t, key, rows.get(key), docs.get(key), ids);
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

  // ---------------------------------------------------------------------------------------------
  // One table
  // ---------------------------------------------------------------------------------------------

  private TableResult verifyTable(
      TableMapping t,
      TableKey tk,
      ExecutorService pool,
      AtomicLong allDone,
      long allTotal,
      List<String> warnings)
      throws SQLException, InterruptedException {
    Accumulator acc = new Accumulator(t.target(), options.maxListed());
    long total;
    try (Connection c = pg.open()) {
      total = count(c, t);
      c.setAutoCommit(false);
      c.setReadOnly(true);
      Semaphore slots = new Semaphore(options.parallel() * 2);
      List<Future<?>> futures = new ArrayList<>();
      try (Statement st = c.createStatement()) {
        st.setFetchSize(Math.min(options.chunkRows(), 5000));
        String sql =
            "SELECT *, xmin::text AS \"__pgconvex_xmin\", ("
                + tk.keyTextSql()
                + ") COLLATE \"C\" AS \"__pgconvex_key\" FROM "
                + MirrorVerifier.qualified(t)
                + " ORDER BY \"__pgconvex_key\"";
        try (ResultSet rs = st.executeQuery(sql)) {
          String after = "";
          List<PgRow> rows = new ArrayList<>(options.chunkRows());
          long done = 0;
          boolean more = rs.next();
          while (true) {
            if (more) {
              rows.add(pgRow(t, rs));
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
    List<Candidate> candidates = acc.takeCandidates();
    if (!candidates.isEmpty()) {
      settle(t, tk, candidates, acc);
    }
    if (acc.truncated) {
      warnings.add(
          t.target()
              + ": more than "
              + options.maxListed()
              + " differences of one class; the lists are cut there");
    }
    return acc.result();
  }

  private PgRow pgRow(TableMapping t, ResultSet rs) throws SQLException {
    String key = rs.getString("__pgconvex_key");
    String own = MirrorVerifier.sourceKey(rs, t);
    if (!key.equals(own)) {
      throw new VerifyException(
          "table "
              + t.qualifiedName()
              + ": Postgres computes the source key "
              + key
              + " where the pipeline's is "
              + own
              + "; verify cannot order this table's keys");
    }
    return new PgRow(
        key,
        MirrorVerifier.columnsDoc(t, rs),
        MirrorVerifier.parentKeys(t, rs),
        Long.parseLong(rs.getString("__pgconvex_xmin")));
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

  /** One chunk: Convex's count and hash against the rows', and the keys when they differ. */
  private void compareChunk(TableMapping t, Chunk chunk, Accumulator acc) {
    Map<String, Map<String, String>> ids = parentIds(t, chunk.rows(), true);
    long pgHash = 0;
    for (PgRow row : chunk.rows()) {
      pgHash = DocHash.add(pgHash, DocHash.of(row.key(), expected(row, ids)));
    }
    long count = 0;
    long hash = 0;
    String after = chunk.after();
    while (true) {
      ObjectNode args = Json.NODES.objectNode().put("table", t.target()).put("after", after);
      args.put("through", chunk.through());
      JsonNode r = convex.query(CHUNK_HASH, args);
      count += r.get("count").asLong();
      hash = DocHash.add(hash, DocHash.parse(r.get("hash").asText()));
      if (r.get("isDone").asBoolean()) {
        break;
      }
      after = r.get("lastKey").asText();
    }
    acc.chunk(chunk.rows().size(), count);
    if (count == chunk.rows().size() && hash == pgHash) {
      return;
    }
    // Drill down: the documents of the range against the rows.
    Map<String, PgRow> byKey = new LinkedHashMap<>();
    chunk.rows().forEach(r -> byKey.put(r.key(), r));
    List<Candidate> found = new ArrayList<>();
    after = chunk.after();
    while (true) {
      ObjectNode args = Json.NODES.objectNode().put("table", t.target()).put("after", after);
      args.put("through", chunk.through());
      JsonNode r = convex.query(RANGE_DOCS, args);
      for (JsonNode e : r.get("page")) {
        String key = e.get("key").asText();
        PgRow row = byKey.remove(key);
        Finding f = classify(t, key, row, e, ids);
        if (f != null) {
          found.add(new Candidate(f, row, e.get("position").asText()));
        }
      }
      if (r.get("isDone").asBoolean()) {
        break;
      }
      after = r.get("lastKey").asText();
    }
    for (PgRow row : byKey.values()) {
      found.add(new Candidate(classify(t, row.key(), row, null, ids), row, null));
    }
    for (Candidate c : found) {
      if (c.finding.kind() == Finding.Kind.WRONG_REF && c.row != null) {
        c.row.refs().values().forEach(r -> idCache.remove(r.parentTable() + " " + r.parentKey()));
      }
    }
    acc.mismatched(found);
  }

  // ---------------------------------------------------------------------------------------------
  // Comparing one key
  // ---------------------------------------------------------------------------------------------

  private static ObjectNode expected(PgRow row, Map<String, Map<String, String>> ids) {
    ObjectNode doc = row.doc().deepCopy();
    row.refs()
        .forEach(
            (field, ref) ->
                doc.put(
                    field,
                    MirrorVerifier.expectedRef(
                        ref, ids.getOrDefault(ref.parentTable(), Map.of()).get(ref.parentKey()))));
    return doc;
  }

  /**
   * The difference at {@code key}, or null when the document is what the row implies.
   *
   * @param entry Convex's {@code {key, id, position, doc}} of the key (null or without {@code doc}
   *     when there is no live document)
   */
  static Finding classify(
      TableMapping t, String key, PgRow row, JsonNode entry, Map<String, Map<String, String>> ids) {
    JsonNode doc = entry == null ? null : entry.get("doc");
    if (doc != null && doc.isNull()) {
      doc = null;
    }
    String id = entry == null || doc == null ? null : entry.path("id").asText(null);
    String position = entry == null ? null : entry.path("position").asText(null);
    if (row == null && doc == null) {
      return null;
    }
    if (row == null) {
      return new Finding(Finding.Kind.EXTRA, key, null, null, null, null, id, position);
    }
    if (doc == null) {
      return new Finding(Finding.Kind.MISSING, key, null, null, null, null, null, position);
    }
    ObjectNode expected = expected(row, ids);
    if (DocHash.of(key, expected) == DocHash.of(key, doc)) {
      return null;
    }
    Set<String> refFields = new HashSet<>();
    t.relations().forEach(r -> refFields.add(r.field()));
    TreeSet<String> fields = new TreeSet<>();
    expected.fieldNames().forEachRemaining(fields::add);
    doc.fieldNames().forEachRemaining(fields::add);
    for (String f : fields) {
      if (refFields.contains(f)) {
        continue;
      }
      JsonNode e = expected.get(f);
      JsonNode a = doc.get(f);
      if (!sameValue(e, a)) {
        return new Finding(Finding.Kind.DIFFERENT, key, f, text(e), text(a), null, id, position);
      }
    }
    for (RelationMapping r : t.relations()) {
      JsonNode e = expected.get(r.field());
      JsonNode a = doc.get(r.field());
      if (!sameValue(e, a)) {
        ParentRef ref = row.refs().get(r.field());
        return new Finding(
            Finding.Kind.WRONG_REF,
            key,
            r.field(),
            text(e),
            text(a),
            ref == null ? null : ref.parentKey(),
            id,
            position);
      }
    }
    // Equal field by field yet hashed differently cannot happen (same encoding); say so if it does.
    return new Finding(
        Finding.Kind.DIFFERENT,
        key,
        "(document)",
        expected.toString(),
        doc.toString(),
        null,
        id,
        position);
  }

  private static boolean sameValue(JsonNode e, JsonNode a) {
    if (e == null || a == null) {
      return e == a;
    }
    return DocHash.of("", e) == DocHash.of("", a);
  }

  private static String text(JsonNode v) {
    return v == null ? null : v.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Settling keys on a live database
  // ---------------------------------------------------------------------------------------------

  private void settle(TableMapping t, TableKey tk, List<Candidate> candidates, Accumulator acc)
      throws SQLException, InterruptedException {
    long deadline = deadline();
    long grace = Math.min(GRACE.toNanos(), options.settleTimeout().toNanos());
    List<Candidate> pending = new ArrayList<>(candidates);
    try (Connection c = pg.open()) {
      while (!pending.isEmpty()) {
        List<Candidate> next = new ArrayList<>();
        for (List<Candidate> batch : batches(pending, KEY_BATCH)) {
          List<String> keys = batch.stream().map(cd -> cd.finding.key()).toList();
          Map<String, PgRow> rows = readRows(c, t, tk, keys);
          long lsn = currentLsn(c);
          boolean reached = applying && awaitApplied(lsn, deadline, null);
          Map<String, JsonNode> docs = keyDocs(t.target(), keys, true);
          Map<String, Map<String, String>> ids = parentIds(t, rows.values(), false);
          for (Candidate cd : batch) {
            String key = cd.finding.key();
            PgRow row = rows.get(key);
            JsonNode entry = docs.get(key);
            Finding f = classify(t, key, row, entry, ids);
            String position = entry == null ? null : entry.path("position").asText(null);
            boolean pgSame = Objects.equals(rowState(row), rowState(cd.row));
            cd.changed |=
                !pgSame
                    || !Objects.equals(position, cd.position)
                    || (row != null && start.newer(row.xmin()))
                    || (position != null && position.compareTo(Position.of(start.lsn(), 0)) >= 0);
            if (f == null) {
              continue; // settled: equal now
            }
            if (reached && pgSame && System.nanoTime() - cd.firstSeen >= grace) {
              // The pipeline applied past the row's position, the row did not change, and the
              // difference outlived the grace (a row held for its parent, or on its way through a
              // repartition topic, can land after the checkpoint passed it).
              acc.confirmed(f);
              continue;
            }
            cd.finding = f;
            cd.row = row;
            cd.position = position;
            next.add(cd);
          }
        }
        pending = next;
        if (!applying || System.nanoTime() >= deadline) {
          break;
        }
        if (!pending.isEmpty()) {
          Thread.sleep(POLL.toMillis());
        }
      }
    }
    for (Candidate cd : pending) {
      if (cd.changed) {
        acc.inFlight(cd.finding.key());
      } else {
        acc.confirmed(cd.finding);
      }
    }
  }

  private static Long rowState(PgRow row) {
    if (row == null) {
      return null;
    }
    ObjectNode doc = row.doc().deepCopy();
    row.refs().forEach((f, r) -> doc.put(f, r.parentTable() + " " + r.parentKey()));
    return DocHash.of(row.key(), doc);
  }

  private long deadline() {
    return System.nanoTime() + options.settleTimeout().toNanos();
  }

  /**
   * Waits until the sink checkpoint in Convex has passed {@code lsn} or {@code deadline}; with
   * {@code warnings}, says why not.
   */
  private boolean awaitApplied(long lsn, long deadline, List<String> warnings)
      throws InterruptedException {
    String need = Position.of(lsn, 0);
    String last = null;
    while (true) {
      last = checkpoint();
      if (last != null && last.compareTo(need) >= 0) {
        return true;
      }
      if (System.nanoTime() >= deadline) {
        break;
      }
      Thread.sleep(POLL.toMillis());
    }
    if (warnings != null) {
      warnings.add(
          last == null
              ? "no sink checkpoint in Convex"
                  + (options.checkpointSource() == null
                      ? ""
                      : " for source '" + options.checkpointSource() + "'")
                  + ": is the pipeline running? Differences are reported without waiting for it"
              : "the pipeline did not apply up to the start position "
                  + Position.lsnText(lsn)
                  + " within "
                  + options.settleTimeout().toSeconds()
                  + " s (checkpoint "
                  + Position.lsnText(Position.lsn(last))
                  + "): is it running? Differences are reported without waiting for it");
    }
    return false;
  }

  /** The lowest sink checkpoint (or the one of {@link Options#checkpointSource}), or null. */
  private String checkpoint() {
    String min = null;
    for (JsonNode cp : convex.query(CHECKPOINTS, Json.NODES.objectNode())) {
      if (options.checkpointSource() != null
          && !options.checkpointSource().equals(cp.get("source").asText())) {
        continue;
      }
      String p = cp.get("position").asText();
      if (min == null || p.compareTo(min) < 0) {
        min = p;
      }
    }
    return min;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading
  // ---------------------------------------------------------------------------------------------

  private void checkConvex(TableMapping t) {
    convex.query(CHUNK_HASH, Json.NODES.objectNode().put("table", t.target()).put("limit", 1));
  }

  private static long count(Connection c, TableMapping t) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + MirrorVerifier.qualified(t))) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static StartPoint startPoint(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT pg_current_wal_lsn()::text, pg_current_snapshot()::text")) {
      rs.next();
      long lsn = Position.parseLsn(rs.getString(1));
      String[] snap = rs.getString(2).split(":", -1);
      long xmax = Long.parseLong(snap[1]) & 0xFFFFFFFFL;
      Set<Long> xip = new HashSet<>();
      if (snap.length > 2 && !snap[2].isEmpty()) {
        for (String x : snap[2].split(",")) {
          xip.add(Long.parseLong(x) & 0xFFFFFFFFL);
        }
      }
      return new StartPoint(lsn, xmax, xip);
    }
  }

  private static long currentLsn(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return Position.parseLsn(rs.getString(1));
    }
  }

  /** The rows of {@code keys} now (absent keys have no row). */
  private Map<String, PgRow> readRows(Connection c, TableMapping t, TableKey tk, List<String> keys)
      throws SQLException {
    Map<String, PgRow> out = new HashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    List<String> valid = new ArrayList<>();
    for (String k : keys) {
      try {
        tk.values(k);
        valid.add(k);
      } catch (IllegalArgumentException e) {
        // a document whose key cannot be a row of this table: no row
      }
    }
    if (valid.isEmpty()) {
      return out;
    }
    String sql =
        "SELECT *, xmin::text AS \"__pgconvex_xmin\", ("
            + tk.keyTextSql()
            + ") AS \"__pgconvex_key\" FROM "
            + MirrorVerifier.qualified(t)
            + " WHERE "
            + tk.inClause(valid.size());
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      for (String k : valid) {
        i = tk.bind(ps, i, k);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          PgRow row = pgRow(t, rs);
          out.put(row.key(), row);
        }
      }
    }
    return out;
  }

  /** Convex's entries of {@code keys}: {@code {key, id, position, doc?}}, by key. */
  private Map<String, JsonNode> keyDocs(String table, List<String> keys, boolean withDocs) {
    Map<String, JsonNode> out = new HashMap<>();
    for (List<String> batch : batches(keys, 1000)) {
      ArrayNode arr = Json.NODES.arrayNode();
      batch.forEach(arr::add);
      ObjectNode args = Json.NODES.objectNode().put("table", table).put("docs", withDocs);
      args.set("keys", arr);
      for (JsonNode e : convex.query(KEY_DOCS, args).get("entries")) {
        out.put(e.get("key").asText(), e);
      }
    }
    return out;
  }

  /**
   * Ids of the live parent documents the rows refer to: parent table to (key to id).
   *
   * @param cached whether ids seen before in this run may be used ({@link #idCache})
   */
  private Map<String, Map<String, String>> parentIds(
      TableMapping t, Iterable<PgRow> rows, boolean cached) {
    Map<String, Map<String, String>> out = new HashMap<>();
    if (t.relations().isEmpty()) {
      return out;
    }
    Map<String, Set<String>> wanted = new LinkedHashMap<>();
    for (PgRow row : rows) {
      for (ParentRef ref : row.refs().values()) {
        wanted.computeIfAbsent(ref.parentTable(), k -> new LinkedHashSet<>()).add(ref.parentKey());
      }
    }
    wanted.forEach(
        (parent, keys) -> {
          Map<String, String> ids = new HashMap<>();
          List<String> lookup = new ArrayList<>();
          for (String k : keys) {
            String id =
                cached && options.idCacheEntries() > 0 ? idCache.get(parent + " " + k) : null;
            if (id != null) {
              ids.put(k, id);
            } else {
              lookup.add(k);
            }
          }
          if (lookup.isEmpty()) {
            out.put(parent, ids);
            return;
          }
          keyDocs(parent, lookup, false)
              .forEach(
                  (k, e) -> {
                    JsonNode id = e.get("id");
                    if (id != null && !id.isNull()) {
                      ids.put(k, id.asText());
                      if (options.idCacheEntries() > 0) {
                        idCache.put(parent + " " + k, id.asText());
                      }
                    }
                  });
          out.put(parent, ids);
        });
    return out;
  }

  private static <T> List<List<T>> batches(List<T> all, int size) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += size) {
      out.add(all.subList(i, Math.min(all.size(), i + size)));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------

  /** A row read from Postgres: key, translated columns, parents, and its {@code xmin}. */
  record PgRow(String key, ObjectNode doc, Map<String, ParentRef> refs, long xmin) {}

  private record Chunk(String after, String through, List<PgRow> rows) {}

  /** A key found different in the chunk pass, until it settles. */
  private static final class Candidate {
    Finding finding;
    PgRow row;
    String position;
    boolean changed;
    final long firstSeen = System.nanoTime();

    Candidate(Finding finding, PgRow row, String position) {
      this.finding = finding;
      this.row = row;
      this.position = position;
    }
  }

  /** Per-table results, shared by the chunk workers. */
  private static final class Accumulator {
    private final String table;
    private final int maxListed;
    private long pgRows;
    private long convexDocs;
    private long chunks;
    private long mismatchedChunks;
    private final List<Candidate> candidates = new ArrayList<>();
    private final Map<Finding.Kind, List<Finding>> found = new LinkedHashMap<>();
    private final Map<Finding.Kind, Long> counts = new LinkedHashMap<>();
    private final List<String> inFlight = new ArrayList<>();
    private long inFlightCount;
    boolean truncated;

    Accumulator(String table, int maxListed) {
      this.table = table;
      this.maxListed = maxListed;
      for (Finding.Kind k : Finding.Kind.values()) {
        found.put(k, new ArrayList<>());
        counts.put(k, 0L);
      }
    }

    synchronized void chunk(long rows, long docs) {
      pgRows += rows;
      convexDocs += docs;
      chunks++;
    }

    synchronized void mismatched(List<Candidate> keys) {
      if (keys.isEmpty()) {
        return; // hashes differed by a normalisation only the full comparison can see: none
      }
      mismatchedChunks++;
      for (Candidate c : keys) {
        if (candidates.size() < maxListed * 4L) {
          candidates.add(c);
        } else {
          confirmed(c.finding); // too many to re-check one by one
        }
      }
    }

    synchronized List<Candidate> takeCandidates() {
      List<Candidate> out = new ArrayList<>(candidates);
      candidates.clear();
      return out;
    }

    synchronized void confirmed(Finding f) {
      counts.merge(f.kind(), 1L, Long::sum);
      List<Finding> list = found.get(f.kind());
      if (list.size() < maxListed) {
        list.add(f);
      } else {
        truncated = true;
      }
    }

    synchronized void inFlight(String key) {
      inFlightCount++;
      if (inFlight.size() < maxListed) {
        inFlight.add(key);
      }
    }

    synchronized TableResult result() {
      for (List<Finding> l : found.values()) {
        l.sort(java.util.Comparator.comparing(Finding::key));
      }
      return new TableResult(
          table,
          pgRows,
          convexDocs,
          chunks,
          mismatchedChunks,
          Map.copyOf(counts),
          found.get(Finding.Kind.MISSING),
          found.get(Finding.Kind.EXTRA),
          found.get(Finding.Kind.DIFFERENT),
          found.get(Finding.Kind.WRONG_REF),
          inFlight,
          inFlightCount);
    }
  }
}
