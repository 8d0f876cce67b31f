package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** Runs a Convex query and returns its value (Convex's {@code "json"} output format). */
@FunctionalInterface
public interface ConvexReader {
  /**
   * @param path function path, {@code cdc/ingest:docPage}
   * @param args arguments object
   * @return the function's value
   * @throws IOException when Convex cannot be reached or answers with an error
   */
  JsonNode query(String path, ObjectNode args) throws IOException;
}
