package dev.pgconvex.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The benchmark's instant Convex: an HTTP server that answers the Convex functions the pipeline
 * calls ({@code cdc/ingest:applyBatch}, the checkpoint, lineage and marker functions, and the pages
 * the snapshot sweep and the sync check read) with the results Convex's would give, at negligible
 * cost, so {@code ./cdc bench} can show what the pipeline's own code costs. It keeps documents in
 * memory by table and source key with the same position rule as {@code convex/cdc/ingest.ts} (an
 * older op is skipped, a patch of a missing document is {@code missing}). It is a benchmark tool,
 * not a Convex: it validates nothing and serves no other function (404). Thread-safe (one lock: the
 * calls are serial in Convex too).
 */
public final class InstantConvex implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService pool;
  private final Map<String, NavigableMap<String, KeyRow>> tables = new HashMap<>();
  private final Map<String, ObjectNode> checkpoints = new HashMap<>();
  private final Map<String, ObjectNode> lineages = new HashMap<>();
  private long nextId;

  private static final class KeyRow {
    String position;
    String docId;
    ObjectNode doc;
  }

  /** Starts on a free port of 127.0.0.1. */
  public InstantConvex() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    pool = Executors.newFixedThreadPool(4, r -> new Thread(r, "instant-convex"));
    server.setExecutor(pool);
    server.createContext("/api/", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      JsonNode body = Json.parse(ex.getRequestBody().readAllBytes());
      String path = body.path("path").asText();
      JsonNode args = body.path("args");
      JsonNode value;
      synchronized (this) {
        value = call(path, args);
      }
      if (value == null) {
        reply(
            ex, 404, Json.NODES.objectNode().put("code", "FunctionNotFound").put("message", path));
        return;
      }
      ObjectNode ok = Json.NODES.objectNode().put("status", "success");
      ok.set("value", value);
      ok.putArray("logLines");
      reply(ex, 200, ok);
    } catch (RuntimeException e) {
      reply(ex, 500, Json.NODES.objectNode().put("code", "Internal").put("message", e.toString()));
    }
  }

  private static void reply(HttpExchange ex, int code, JsonNode json) throws IOException {
    byte[] out = Json.writeBytes(json);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(code, out.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(out);
    }
  }

  private JsonNode call(String path, JsonNode args) {
    return switch (path) {
      case "cdc/ingest:applyBatch" -> applyBatch(args.get("ops"));
      case "cdc/ingest:setCheckpoint" -> setCheckpoint(args);
      case "cdc/ingest:getCheckpoint" -> {
        ObjectNode cp = checkpoints.get(args.path("source").asText());
        yield cp == null ? Json.NODES.nullNode() : cp;
      }
      case "cdc/lineage:getLineage" -> {
        ObjectNode l = lineages.get(args.path("pipeline").asText());
        yield l == null ? Json.NODES.nullNode() : l;
      }
      case "cdc/lineage:claimLineage" -> claimLineage(args);
      case "cdc/markers:confirmMarker" -> Json.NODES.objectNode().put("status", "confirmed");
      case "cdc/ingest:docPage" -> page(args, true);
      case "cdc/ingest:keyPage" -> page(args, false);
      case "cdc/ingest:tableCount" -> {
        long n =
            table(args.path("table").asText()).values().stream().filter(r -> r.doc != null).count();
        yield Json.NODES.objectNode().put("count", n).put("continueCursor", "").put("isDone", true);
      }
      default -> null;
    };
  }

  private NavigableMap<String, KeyRow> table(String name) {
    return tables.computeIfAbsent(name, t -> new TreeMap<>());
  }

  private JsonNode applyBatch(JsonNode ops) {
    ObjectNode out = Json.NODES.objectNode();
    ArrayNode results = out.putArray("results");
    for (JsonNode op : ops) {
      NavigableMap<String, KeyRow> t = table(op.get("table").asText());
      String key = op.get("key").asText();
      String position = op.get("position").asText();
      KeyRow row = t.get(key);
      ObjectNode r = results.addObject();
      if (row != null && position.compareTo(row.position) < 0) {
        r.put("status", "skipped").put("id", row.doc == null ? null : row.docId);
        continue;
      }
      String kind = op.get("op").asText();
      if (kind.equals("patch") && (row == null || row.doc == null)) {
        r.put("status", "missing").putNull("id");
        continue;
      }
      if (row == null) {
        row = new KeyRow();
        t.put(key, row);
      }
      row.position = position;
      switch (kind) {
        case "upsert" -> {
          if (row.doc == null) {
            row.docId = "instant" + (nextId++);
          }
          row.doc = withoutNulls((ObjectNode) op.get("doc"));
        }
        case "patch" -> {
          ObjectNode doc = row.doc;
          op.get("doc")
              .fields()
              .forEachRemaining(
                  f -> {
                    if (f.getValue().isNull()) {
                      doc.remove(f.getKey());
                    } else {
                      doc.set(f.getKey(), f.getValue());
                    }
                  });
        }
        default -> {
          row.doc = null; // delete: a tombstone keeps the position
          row.docId = null;
        }
      }
      r.put("status", "applied").put("id", row.docId);
    }
    return out;
  }

  private static ObjectNode withoutNulls(ObjectNode doc) {
    ObjectNode copy = doc.deepCopy();
    for (Iterator<Map.Entry<String, JsonNode>> it = copy.fields(); it.hasNext(); ) {
      if (it.next().getValue().isNull()) {
        it.remove();
      }
    }
    return copy;
  }

  private JsonNode setCheckpoint(JsonNode args) {
    String source = args.get("source").asText();
    String position = args.get("position").asText();
    ObjectNode now = checkpoints.get(source);
    if (now != null && position.compareTo(now.get("position").asText()) < 0) {
      return Json.NODES
          .objectNode()
          .put("status", "skipped")
          .put("position", now.get("position").asText());
    }
    ObjectNode cp = Json.NODES.objectNode().put("position", position);
    cp.set("commitTs", args.hasNonNull("commitTs") ? args.get("commitTs") : Json.NODES.nullNode());
    cp.put("updatedAt", System.currentTimeMillis());
    checkpoints.put(source, cp);
    return Json.NODES.objectNode().put("status", "applied").put("position", position);
  }

  private JsonNode claimLineage(JsonNode args) {
    String pipeline = args.get("pipeline").asText();
    ObjectNode l = lineages.get(pipeline);
    String status = "matched";
    if (l == null) {
      l = Json.NODES.objectNode().put("pipeline", pipeline).put("mirrorId", "instant-" + pipeline);
      l.set("source", args.get("source"));
      l.put("createdAt", System.currentTimeMillis());
      lineages.put(pipeline, l);
      status = "created";
    } else if (l.get("source").isNull() && !args.get("source").isNull()) {
      l.set("source", args.get("source"));
      status = "adopted";
    } else if (!args.get("source").isNull() && !l.get("source").equals(args.get("source"))) {
      status = "conflict";
    }
    ObjectNode out = Json.NODES.objectNode().put("status", status);
    out.set("lineage", l);
    return out;
  }

  /** One page of the live keys after {@code cursor}, in key order, with the documents or not. */
  private JsonNode page(JsonNode args, boolean docs) {
    NavigableMap<String, KeyRow> t = table(args.path("table").asText());
    String cursor = args.path("cursor").isTextual() ? args.get("cursor").asText() : "";
    int limit = Math.max(1, args.path(docs ? "limit" : "pageSize").asInt(1000));
    ObjectNode out = Json.NODES.objectNode();
    ArrayNode page = out.putArray("page");
    String last = cursor;
    int scanned = 0;
    for (Map.Entry<String, KeyRow> e :
        (cursor.isEmpty() ? t : t.tailMap(cursor, false)).entrySet()) {
      if (scanned == limit) {
        break;
      }
      scanned++;
      last = e.getKey();
      KeyRow row = e.getValue();
      if (row.doc == null) {
        continue;
      }
      ObjectNode entry = page.addObject().put("key", e.getKey());
      if (docs) {
        entry.put("id", row.docId).put("position", row.position).set("doc", row.doc);
      } else {
        entry.put("position", row.position);
      }
    }
    String end = t.isEmpty() ? "" : t.lastKey();
    out.put("continueCursor", last).put("isDone", scanned < limit || last.equals(end));
    return out;
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
