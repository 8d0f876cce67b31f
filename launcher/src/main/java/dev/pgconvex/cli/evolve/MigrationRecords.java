package dev.pgconvex.cli.evolve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.schema.evolve.EvolutionPlan;
import dev.pgconvex.schema.evolve.EvolutionPlan.Step;
import dev.pgconvex.sink.http.ConvexClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The steps' states in Convex, {@code cdc_migrations} through {@code cdc/migrations:record} and
 * {@code cdc/migrations:migrations} (docs/contracts.md, "Schema evolution"): the record an
 * application and {@code ./cdc status} read, and what each step checks before it runs.
 */
public final class MigrationRecords {
  public static final String RECORD = "cdc/migrations:record";
  public static final String LIST = "cdc/migrations:migrations";

  /** The states a step row can be in. */
  public enum State {
    PENDING("pending"),
    RUNNING("running"),
    COMPLETED("completed"),
    FAILED("failed"),
    ROLLED_BACK("rolled back");

    final String text;

    State(String text) {
      this.text = text;
    }

    static State of(String text) {
      for (State s : values()) {
        if (s.text.equals(text)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown migration state " + text);
    }
  }

  private final ConvexClient convex;
  private final String pipeline;

  public MigrationRecords(ConvexClient convex, String pipeline) {
    this.convex = convex;
    this.pipeline = pipeline;
  }

  /** Records {@code step} of {@code plan} in {@code state}; null counts keep the stored ones. */
  public void record(
      EvolutionPlan plan, Step step, State state, Long processed, Long total, String error) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("pipeline", pipeline);
    args.put("migration", plan.id());
    args.put("step", step.id());
    args.put("state", state.text);
    args.put("tables", plan.tableNames());
    args.put("changes", plan.tables().stream().map(EvolutionPlan.TableChanges::describe).toList());
    if (processed != null) {
      args.put("processed", processed);
    }
    if (total != null) {
      args.put("total", total);
    }
    if (error != null) {
      args.put("error", error.length() > 2000 ? error.substring(0, 2000) + "..." : error);
    }
    convex.mutation(RECORD, args);
  }

  /** The state of {@code step} of migration {@code id}, or null when it was never recorded. */
  public State state(String id, Step step) {
    for (JsonNode row : rows(100)) {
      if (row.path("migration").asText().equals(id)
          && row.path("step").asText().equals(step.id())) {
        return State.of(row.path("state").asText());
      }
    }
    return null;
  }

  /** The newest step rows of the pipeline, newest first. */
  public List<JsonNode> rows(int limit) {
    JsonNode rows = convex.query(LIST, Map.of("pipeline", pipeline, "limit", limit));
    java.util.ArrayList<JsonNode> out = new java.util.ArrayList<>();
    rows.forEach(out::add);
    return out;
  }

  /**
   * The step rows of the pipeline's newest migration, in step order (an empty array when none, or
   * when the deployment has no {@code cdc/migrations} module yet).
   */
  public static com.fasterxml.jackson.databind.node.ArrayNode newest(
      ConvexClient convex, String pipeline) {
    com.fasterxml.jackson.databind.node.ArrayNode out =
        dev.pgconvex.common.json.Json.NODES.arrayNode();
    List<JsonNode> rows;
    try {
      rows = new MigrationRecords(convex, pipeline).rows(30);
    } catch (dev.pgconvex.sink.http.ConvexException e) {
      if (e.getMessage() != null && e.getMessage().contains("cdc/migrations")) {
        return out; // deployed before schema evolution existed
      }
      throw e;
    }
    if (rows.isEmpty()) {
      return out;
    }
    String id = rows.get(0).path("migration").asText();
    for (Step step : Step.values()) {
      rows.stream()
          .filter(r -> r.path("migration").asText().equals(id))
          .filter(r -> r.path("step").asText().equals(step.id()))
          .findFirst()
          .ifPresent(out::add);
    }
    return out;
  }

  /** {@code "widen completed, backfill running 120/300 rows: public.users: ..."}. */
  public static String line(JsonNode steps) {
    List<String> parts = new java.util.ArrayList<>();
    String changes = "";
    for (JsonNode r : steps) {
      String p = r.path("step").asText() + " " + r.path("state").asText();
      if (r.has("total") && !r.path("state").asText().equals("completed")) {
        p += " " + r.path("processed").asLong() + "/" + r.path("total").asLong() + " rows";
      }
      if (r.hasNonNull("error")) {
        p += " (" + r.path("error").asText() + ")";
      }
      parts.add(p);
      if (r.path("changes").isArray() && r.path("changes").size() > 0) {
        List<String> c = new java.util.ArrayList<>();
        r.path("changes").forEach(x -> c.add(x.asText()));
        changes = String.join("; ", c);
      }
    }
    return String.join(", ", parts) + (changes.isEmpty() ? "" : ": " + changes);
  }
}
