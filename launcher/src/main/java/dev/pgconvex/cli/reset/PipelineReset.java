package dev.pgconvex.cli.reset;

import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.source.config.TableId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;

/**
 * Removes a pipeline's state so the next run starts over with a fresh snapshot: its Kafka topics
 * (offsets, source topics, ops, ids, dead letters, lineage, the transformer's internal topics) and
 * consumer groups, the local Kafka Streams state, the replication slot (and the pending signals of
 * the slot's initial loads), and, when asked, the mirror in Convex. Planned first ({@link
 * #plan()}), then carried out step by step ({@link Step#run()}), so {@code --dry-run} shows exactly
 * what a real run does. Refuses while the pipeline runs. Not thread-safe.
 */
public final class PipelineReset {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** One thing to remove: what it is, and the action. */
  public record Step(String description, Action action) {
    public void run() throws Exception {
      action.run();
    }
  }

  /** The action of a step. */
  @FunctionalInterface
  public interface Action {
    void run() throws Exception;
  }

  /** What to reset. */
  public record Target(
      Topics topics,
      Path workDir,
      Admin externalKafka,
      Connection postgres,
      String slot,
      String signalTable,
      ConvexClient convex,
      String convexUrl,
      boolean convexData) {}

  private final Target t;

  public PipelineReset(Target target) {
    this.t = target;
  }

  /**
   * The steps, in order.
   *
   * @throws ResetRefusedException when the pipeline is running (its broker, consumer groups or slot
   *     are in use)
   */
  public List<Step> plan() throws Exception {
    List<Step> steps = new ArrayList<>();
    Topics topics = t.topics();
    if (t.externalKafka() == null) {
      Path kafka = t.workDir().resolve("kafka");
      if (Files.exists(kafka)) {
        if (dev.pgconvex.stack.EmbeddedKafkaBroker.runsOn(kafka)) {
          throw new ResetRefusedException(
              "the embedded Kafka broker in " + kafka + " is running: stop the pipeline first");
        }
        steps.add(
            new Step(
                "delete the embedded Kafka broker's data in "
                    + kafka
                    + " (every topic, offset and group of this work dir)",
                () -> Pipeline.deleteRecursively(kafka)));
      }
    } else {
      Admin admin = t.externalKafka();
      for (String group : List.of(topics.transformerAppId(), topics.sinkGroup())) {
        Map<String, ConsumerGroupDescription> groups = describe(admin, group);
        ConsumerGroupDescription d = groups.get(group);
        if (d != null && !d.members().isEmpty()) {
          throw new ResetRefusedException(
              "consumer group "
                  + group
                  + " has "
                  + d.members().size()
                  + " active member(s): stop the pipeline's transformer and sink first");
        }
        if (d != null && !"DEAD".equals(d.groupState().toString())) {
          steps.add(
              new Step(
                  "delete consumer group " + group,
                  () ->
                      admin
                          .deleteConsumerGroups(List.of(group))
                          .all()
                          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)));
        }
      }
      Set<String> names = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<String> mine =
          names.stream()
              .filter(
                  n ->
                      n.startsWith(topics.prefix() + ".")
                          || n.startsWith(topics.transformerAppId() + "-"))
              .sorted()
              .toList();
      if (!mine.isEmpty()) {
        steps.add(
            new Step(
                "delete " + mine.size() + " Kafka topic(s): " + String.join(", ", mine),
                () ->
                    admin.deleteTopics(mine).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)));
      }
    }
    Path streams = t.workDir().resolve("streams").resolve(topics.transformerAppId());
    if (Files.exists(streams)) {
      steps.add(
          new Step(
              "delete the local Kafka Streams state in " + streams,
              () -> Pipeline.deleteRecursively(streams)));
    }
    if (t.postgres() != null) {
      addPostgresSteps(steps);
    }
    if (t.convexData()) {
      if (t.convex() != null) {
        steps.add(
            new Step(
                "delete every mirrored document, key row, checkpoint and lineage in Convex at "
                    + t.convexUrl(),
                this::resetConvex));
      } else {
        Path data = t.workDir().resolve("convex-data");
        if (Files.exists(data)) {
          steps.add(
              new Step(
                  "delete the embedded Convex emulator's data in " + data,
                  () -> Pipeline.deleteRecursively(data)));
        }
      }
    }
    return steps;
  }

  private void addPostgresSteps(List<Step> steps) throws SQLException {
    try (PreparedStatement ps =
        t.postgres()
            .prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, t.slot());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          int pid = rs.getInt(1);
          if (!rs.wasNull()) {
            throw new ResetRefusedException(
                "replication slot '"
                    + t.slot()
                    + "' is in use by process "
                    + pid
                    + ": stop the pipeline's source first");
          }
          steps.add(
              new Step(
                  "drop replication slot '" + t.slot() + "' (the next run takes a new snapshot)",
                  () -> {
                    try (PreparedStatement drop =
                        t.postgres().prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                      drop.setString(1, t.slot());
                      drop.execute();
                    }
                  }));
        }
      }
    }
    if (tableExists(t.signalTable()) && hasRows(t.signalTable())) {
      steps.add(
          new Step(
              "delete the pending signals in " + t.signalTable() + " (so initial loads run again)",
              () -> {
                try (Statement st = t.postgres().createStatement()) {
                  st.executeUpdate("DELETE FROM " + TableId.parse(t.signalTable()).quoted());
                }
              }));
    }
  }

  private boolean tableExists(String qualified) throws SQLException {
    try (PreparedStatement ps =
        t.postgres().prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, qualified);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private boolean hasRows(String qualified) throws SQLException {
    try (Statement st = t.postgres().createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT EXISTS (SELECT 1 FROM " + TableId.parse(qualified).quoted() + ")")) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  private void resetConvex() {
    boolean done;
    do {
      var r = t.convex().mutation("cdc/lineage:resetMirror", Json.NODES.objectNode());
      done = r.path("isDone").asBoolean();
    } while (!done);
  }

  private static Map<String, ConsumerGroupDescription> describe(Admin admin, String group)
      throws InterruptedException, TimeoutException {
    try {
      return admin
          .describeConsumerGroups(List.of(group))
          .all()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return Map.of(); // no such group
    }
  }
}
