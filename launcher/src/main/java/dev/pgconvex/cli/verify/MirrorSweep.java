package dev.pgconvex.cli.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.DocRef;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.verify.ConvexReader;
import dev.pgconvex.verify.MirrorVerifier;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Removes the documents whose rows no longer exist in Postgres, so a snapshot taken again over an
 * existing mirror (after a lost broker, or a reset that kept the Convex data) converges to Postgres
 * rather than to a superset: a snapshot brings every row back, but cannot tell of a row deleted
 * while the pipeline was not looking.
 *
 * <p>Per table it reads the mirror's live keys with their positions ({@code cdc/ingest:keyPage})
 * first, then the keys of Postgres; each key left over gets a delete on the {@code ops} topic, at
 * the position just above the document's ({@link Position#after}). Keys are read from Convex before
 * Postgres so a row inserted meanwhile is seen in Postgres, and the delete's position still loses
 * to any later change of the row, whichever arrives first. The delete travels the normal path: the
 * sink applies it under the position guard and tombstones the id for the transformer. Memory: the
 * mirror's keys of one table at a time. Not thread-safe.
 */
public final class MirrorSweep {
  private static final int FETCH = 5000;

  private final Connection pg;
  private final Mapping mapping;
  private final ConvexReader convex;
  private final Producer<String, String> producer;
  private final String opsTopic;

  public MirrorSweep(
      Connection pg,
      Mapping mapping,
      ConvexReader convex,
      Producer<String, String> producer,
      String opsTopic) {
    this.pg = pg;
    this.mapping = mapping;
    this.convex = convex;
    this.producer = producer;
    this.opsTopic = opsTopic;
  }

  /**
   * Sweeps every mapped table once.
   *
   * @return per target table, the deletes sent (tables with none are left out)
   */
  public Map<String, Integer> sweep()
      throws SQLException, IOException, InterruptedException, ExecutionException {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (TableMapping t : mapping.tables()) {
      int n = sweep(t);
      if (n > 0) {
        out.put(t.target(), n);
      }
    }
    return out;
  }

  private int sweep(TableMapping t)
      throws SQLException, IOException, InterruptedException, ExecutionException {
    Map<String, String> mirrored = mirroredKeys(t.target());
    if (mirrored.isEmpty()) {
      return 0;
    }
    boolean auto = pg.getAutoCommit();
    pg.setAutoCommit(false); // a cursor: rows are fetched FETCH at a time
    try (Statement st = pg.createStatement()) {
      st.setFetchSize(FETCH);
      String columns =
          String.join(", ", t.primaryKey().stream().map(MirrorVerifier::quote).toList());
      try (ResultSet rs =
          st.executeQuery("SELECT " + columns + " FROM " + MirrorVerifier.qualified(t))) {
        while (rs.next() && !mirrored.isEmpty()) {
          mirrored.remove(MirrorVerifier.sourceKey(rs, t));
        }
      }
      pg.commit();
    } finally {
      pg.setAutoCommit(auto);
    }
    List<Future<RecordMetadata>> acks = new ArrayList<>(mirrored.size());
    long now = System.currentTimeMillis();
    for (Map.Entry<String, String> e : mirrored.entrySet()) {
      Operation delete =
          new Operation(
              t.target(),
              e.getKey(),
              Operation.Kind.DELETE,
              Position.after(e.getValue()),
              now,
              null,
              null);
      acks.add(
          producer.send(
              new ProducerRecord<>(
                  opsTopic, new DocRef(t.target(), e.getKey()).toString(), Json.write(delete))));
    }
    for (Future<RecordMetadata> ack : acks) {
      ack.get();
    }
    return mirrored.size();
  }

  /** Live keys of {@code table} in Convex, with their positions. */
  private Map<String, String> mirroredKeys(String table) throws IOException {
    Map<String, String> keys = new HashMap<>();
    String cursor = null;
    while (true) {
      ObjectNode args = Json.NODES.objectNode().put("table", table);
      if (cursor != null) {
        args.put("cursor", cursor);
      }
      JsonNode page = convex.query("cdc/ingest:keyPage", args);
      for (JsonNode e : page.get("page")) {
        keys.put(e.get("key").asText(), e.get("position").asText());
      }
      if (page.path("isDone").asBoolean(true)) {
        return keys;
      }
      cursor = page.get("continueCursor").asText();
    }
  }
}
