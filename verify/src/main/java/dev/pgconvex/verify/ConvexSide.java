package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.http.ConvexRejectedException;
import dev.pgconvex.verify.MirrorVerifier.ParentRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The verifier's reads of Convex, all through the internal queries of {@code convex/cdc/verify.ts}
 * (so they work on real Convex with the admin key, within its read limits). Thread-safe: the chunk
 * workers share one.
 */
final class ConvexSide {
  static final String CHUNK_HASH = "cdc/verify:chunkHash";
  static final String RANGE_DOCS = "cdc/verify:rangeDocs";
  static final String KEY_DOCS = "cdc/verify:keyDocs";
  static final String CHECKPOINTS = "cdc/verify:checkpoints";
  static final String UNKEYED_DOCS = "cdc/verify:unkeyedDocs";
  static final String TABLE_COUNT = "cdc/verify:tableCount";

  /** A table's document count and its key rows' highest position, read together. */
  record TableCount(long count, String maxPosition) {}

  private static final int KEYS_PER_CALL = 1000;

  /** Documents per {@code unkeyedDocs} call to begin with (its maximum). */
  static final int UNKEYED_PAGE = 1000;

  /** Count and order-independent hash of the live documents of a key range. */
  record Summary(long count, long hash) {}

  private final ConvexClient convex;
  private final int idCacheEntries;
  private final String checkpointSource;

  /**
   * Ids of parent documents seen in earlier chunks of this run, bounded (least recently used out),
   * so a parent referred to by many children is looked up once. Used only by the chunk pass: a
   * stale entry (a parent re-created meanwhile) makes its chunk differ, and the re-check of the
   * keys reads every id afresh.
   */
  private final Map<String, String> idCache;

  ConvexSide(ConvexClient convex, int idCacheEntries, String checkpointSource) {
    this.convex = convex;
    this.idCacheEntries = idCacheEntries;
    this.checkpointSource = checkpointSource;
    this.idCache =
        Collections.synchronizedMap(
            new LinkedHashMap<>(1024, 0.75f, true) {
              @Override
              protected boolean removeEldestEntry(Map.Entry<String, String> e) {
                return size() > idCacheEntries;
              }
            });
  }

  /** Fails fast (wrong key, unreachable, functions not deployed) before any work. */
  void ping(String table) {
    convex.query(CHUNK_HASH, Json.NODES.objectNode().put("table", table).put("limit", 1));
  }

  /** The summary of the keys in {@code (after, through]} ({@code through} null: to the end). */
  Summary summary(String table, String after, String through) {
    long count = 0;
    long hash = 0;
    while (true) {
      JsonNode r = convex.query(CHUNK_HASH, range(table, after, through));
      count += r.get("count").asLong();
      hash = DocHash.add(hash, DocHash.parse(r.get("hash").asText()));
      if (r.get("isDone").asBoolean()) {
        return new Summary(count, hash);
      }
      after = r.get("lastKey").asText();
    }
  }

  /** Each live document of the range: {@code {key, id, position, doc}}, in key order. */
  void entries(String table, String after, String through, Consumer<JsonNode> each) {
    while (true) {
      JsonNode r = convex.query(RANGE_DOCS, range(table, after, through));
      r.get("page").forEach(each);
      if (r.get("isDone").asBoolean()) {
        return;
      }
      after = r.get("lastKey").asText();
    }
  }

  private static ObjectNode range(String table, String after, String through) {
    ObjectNode args = Json.NODES.objectNode().put("table", table).put("after", after);
    return args.put("through", through);
  }

  /**
   * Each document of {@code table} that no key row points at ({@code {id, doc}}), walking the whole
   * table in creation order a page a call. A page Convex refuses (its read limits: large documents)
   * is asked again at half the size, down to one document.
   *
   * @param scanned told the documents walked so far after each page
   */
  void unkeyed(String table, java.util.function.LongConsumer scanned, Consumer<JsonNode> each) {
    String cursor = null;
    int limit = UNKEYED_PAGE;
    long total = 0;
    while (true) {
      ObjectNode args = Json.NODES.objectNode().put("table", table).put("limit", limit);
      args.put("cursor", cursor);
      JsonNode r;
      try {
        r = convex.query(UNKEYED_DOCS, args);
      } catch (ConvexRejectedException e) {
        if (limit == 1 || !readLimit(e)) {
          throw e;
        }
        limit = Math.max(1, limit / 2);
        continue;
      }
      r.get("page").forEach(each);
      total += r.get("scanned").asLong();
      scanned.accept(total);
      if (r.get("isDone").asBoolean()) {
        return;
      }
      cursor = r.get("continueCursor").asText();
    }
  }

  /**
   * The table's count and highest key-row position, or null when this Convex cannot count (the
   * verifier then walks the table).
   */
  TableCount tableCount(String table) {
    try {
      JsonNode r = convex.query(TABLE_COUNT, Json.NODES.objectNode().put("table", table));
      JsonNode max = r.get("maxPosition");
      return new TableCount(r.get("count").asLong(), max.isNull() ? null : max.asText());
    } catch (ConvexRejectedException e) {
      return null;
    }
  }

  /** Whether Convex refused a call for reading too much in one transaction. */
  private static boolean readLimit(ConvexRejectedException e) {
    String m = String.valueOf(e.errorMessage()).toLowerCase(java.util.Locale.ROOT);
    return m.contains("too many") || m.contains("bytes read") || m.contains("read limit");
  }

  /** Convex's entries of {@code keys}: {@code {key, id, position, doc?}}, by key. */
  Map<String, JsonNode> keyDocs(String table, List<String> keys, boolean withDocs) {
    return keyDocs(table, keys, withDocs, true);
  }

  /**
   * @param live whether {@code id} must be a live document's (read), or is the id the key row holds
   *     (not read; without docs only)
   */
  private Map<String, JsonNode> keyDocs(
      String table, List<String> keys, boolean withDocs, boolean live) {
    Map<String, JsonNode> out = new HashMap<>();
    for (List<String> batch : MirrorCheck.batches(keys, KEYS_PER_CALL)) {
      ArrayNode arr = Json.NODES.arrayNode();
      batch.forEach(arr::add);
      ObjectNode args = Json.NODES.objectNode().put("table", table).put("docs", withDocs);
      if (!live) {
        args.put("live", false);
      }
      args.set("keys", arr);
      for (JsonNode e : convex.query(KEY_DOCS, args).get("entries")) {
        out.put(e.get("key").asText(), e);
      }
    }
    return out;
  }

  /**
   * Ids of the parent documents the rows refer to, as the parents' key rows hold them: parent table
   * to (key to id); a key without a key row, or with a tombstone, has none.
   *
   * @param cached whether ids seen before in this run may be used
   */
  Map<String, Map<String, String>> parentIds(TableMapping t, Iterable<PgRow> rows, boolean cached) {
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
    boolean useCache = cached && idCacheEntries > 0;
    wanted.forEach(
        (parent, keys) -> {
          Map<String, String> ids = new HashMap<>();
          List<String> lookup = new ArrayList<>();
          for (String k : keys) {
            String id = useCache ? idCache.get(parent + " " + k) : null;
            if (id != null) {
              ids.put(k, id);
            } else {
              lookup.add(k);
            }
          }
          if (!lookup.isEmpty()) {
            // The id the parent's key row holds: a parent document deleted by hand is the
            // parent's difference (missing), not one of each of its children.
            keyDocs(parent, lookup, false, false)
                .forEach(
                    (k, e) -> {
                      JsonNode id = e.get("id");
                      if (id != null && !id.isNull()) {
                        ids.put(k, id.asText());
                        if (idCacheEntries > 0) {
                          idCache.put(parent + " " + k, id.asText());
                        }
                      }
                    });
          }
          out.put(parent, ids);
        });
    return out;
  }

  /** Drops the cached ids of a row's parents (its reference was found wrong). */
  void forgetParents(PgRow row) {
    row.refs().values().forEach(r -> idCache.remove(r.parentTable() + " " + r.parentKey()));
  }

  /** The lowest sink checkpoint (or the one of the configured source), or null. */
  String checkpoint() {
    String min = null;
    for (JsonNode cp : convex.query(CHECKPOINTS, Json.NODES.objectNode())) {
      if (checkpointSource != null && !checkpointSource.equals(cp.get("source").asText())) {
        continue;
      }
      String p = cp.get("position").asText();
      if (min == null || p.compareTo(min) < 0) {
        min = p;
      }
    }
    return min;
  }

  String checkpointSource() {
    return checkpointSource;
  }
}
