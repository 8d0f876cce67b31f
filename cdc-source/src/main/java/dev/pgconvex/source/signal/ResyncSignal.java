package dev.pgconvex.source.signal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.source.config.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Objects;
import java.util.UUID;

/**
 * A request to re-read a captured table (or the rows matching a condition) while streaming goes on:
 * a Debezium {@code execute-snapshot} signal of type {@code incremental}, written as a row of the
 * source's signal table ({@code source.signal.table}). The running source picks it up from the WAL
 * and emits the rows as read events ({@code op: "r"}, {@code source.snapshot: "incremental"}) on
 * the table's topic, chunk by chunk in key order; progress is stored with the offsets, so a
 * restarted source continues the resync.
 *
 * <p>Immutable and thread-safe. Used by {@code ./cdc resync}.
 *
 * @param table the captured table to re-read, never null
 * @param where a SQL condition on that table's columns limiting the rows ({@code id > 100}), or
 *     null for the whole table; Debezium appends it to its chunk query, so it must be valid SQL for
 *     that table (it is not checked here)
 */
public record ResyncSignal(TableId table, String where) {
  /** Debezium's signal type. */
  public static final String TYPE = "execute-snapshot";

  public ResyncSignal {
    Objects.requireNonNull(table, "table");
    if (where != null && where.isBlank()) {
      where = null;
    }
  }

  /** The signal's {@code data} JSON. */
  public String dataJson() {
    ObjectNode data = Json.NODES.objectNode();
    data.putArray("data-collections").add(table.toString());
    data.put("type", "incremental");
    if (where != null) {
      ArrayNode conditions = data.putArray("additional-conditions");
      conditions.addObject().put("data-collection", table.toString()).put("filter", where);
    }
    return Json.write(data);
  }

  /**
   * Inserts the signal into {@code signalTable} on {@code connection} (auto-commit as the
   * connection is set; the source sees it once committed).
   *
   * @return the signal's id (a random UUID), as logged by Debezium
   * @throws SQLException when the insert fails (the table is missing: the source has never run
   *     against this database, or another {@code source.signal.table} is configured)
   */
  public String send(Connection connection, TableId signalTable) throws SQLException {
    String id = UUID.randomUUID().toString();
    sendOnce(connection, signalTable, id);
    return id;
  }

  /**
   * Inserts the signal under {@code id} unless a signal with that id exists.
   *
   * @param id at most 42 characters
   * @return true when inserted, false when {@code id} was there already
   * @throws SQLException when the insert fails
   */
  public boolean sendOnce(Connection connection, TableId signalTable, String id)
      throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO "
                + signalTable.quoted()
                + " (id, type, data) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
      ps.setString(1, id);
      ps.setString(2, TYPE);
      ps.setString(3, dataJson());
      return ps.executeUpdate() == 1;
    }
  }
}
