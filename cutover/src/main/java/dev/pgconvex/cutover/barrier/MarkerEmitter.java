package dev.pgconvex.cutover.barrier;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Writes a {@link Marker} into the WAL. Non-transactional ({@code pg_logical_emit_message(false,
 * ...)}): decoded at once, in WAL order, whatever transaction the connection is in, so it can be
 * emitted on the connection that holds a freeze lock.
 */
public final class MarkerEmitter {
  /** The logical message prefix of markers; the source turns only these into marker records. */
  public static final String PREFIX = dev.pgconvex.common.model.Operation.MARKER_MESSAGE_PREFIX;

  private MarkerEmitter() {}

  /**
   * Emits the marker {@code id} for {@code pipeline}; content {@code {"pipeline","id"}}.
   *
   * @return the marker with the LSN Postgres wrote it at
   */
  public static Marker emit(Connection db, String pipeline, String id) throws SQLException {
    ObjectNode content = Json.NODES.objectNode().put("pipeline", pipeline).put("id", id);
    long now = System.currentTimeMillis();
    try (PreparedStatement st =
        db.prepareStatement("SELECT pg_logical_emit_message(false, ?, ?)::text")) {
      st.setString(1, PREFIX);
      st.setString(2, Json.write(content));
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return new Marker(pipeline, id, parseLsn(rs.getString(1)), now);
      }
    }
  }

  /** {@code 16/B374D848} as a number. */
  static long parseLsn(String text) {
    int slash = text.indexOf('/');
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }
}
