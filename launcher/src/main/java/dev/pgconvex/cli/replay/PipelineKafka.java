package dev.pgconvex.cli.replay;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Topics;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.kafka.KafkaClients;
import dev.pgconvex.replay.KafkaState;
import dev.pgconvex.replay.ReplayException;
import dev.pgconvex.stack.EmbeddedKafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;

/**
 * The Kafka of a stopped pipeline, found as {@code ./cdc reset} finds it: {@code --kafka} (a
 * deployed broker, with the {@code kafka.*} keys given with {@code --set}), or the embedded broker
 * of a work dir, started here on its data for the length of the command (refused while the pipeline
 * runs: its broker holds the data). Every client is built from {@link KafkaClients}, so security
 * settings reach them all. Close it.
 */
public final class PipelineKafka implements AutoCloseable {
  private final EmbeddedKafkaBroker embedded;
  private final Map<String, Object> clientProps;
  private final Admin admin;
  private final String where;
  private final Topics topics;

  private PipelineKafka(
      EmbeddedKafkaBroker embedded, Map<String, Object> props, String where, Topics topics) {
    this.embedded = embedded;
    this.clientProps = props;
    this.where = where;
    this.topics = topics;
    Map<String, Object> ap = new java.util.HashMap<>(props);
    // a stopped broker: one clear line within seconds, not a minute of retries
    ap.putIfAbsent(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    ap.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    this.admin = createAdmin(ap, where);
  }

  // A bad security key fails here; the JAAS line may hold a password, so its text is never shown.
  private static Admin createAdmin(Map<String, Object> props, String where) {
    try {
      return Admin.create(props);
    } catch (org.apache.kafka.common.KafkaException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      boolean secret = props.keySet().stream().anyMatch(k -> k.startsWith("sasl.jaas"));
      throw new ReplayException(
          "cannot create a Kafka client for "
              + where
              + ": "
              + (secret || root.getMessage() == null
                  ? root.getClass().getSimpleName()
                  : root.getMessage())
              + "; check --kafka and the kafka.* keys");
    }
  }

  /**
   * @param kafka {@code --kafka}, or null for the embedded broker of {@code workDir}
   * @param overrides {@code --set} entries ({@code cdc.topic.prefix}, {@code kafka.*})
   * @param prefix {@code --prefix}, or null for {@code cdc.topic.prefix} or its default
   */
  public static PipelineKafka open(
      String kafka, Path workDir, Map<String, String> overrides, String prefix) {
    String p =
        prefix != null
            ? prefix
            : overrides.getOrDefault(CommonConfig.TOPIC_PREFIX, defaultPrefix());
    Topics topics = new Topics(p);
    Map<String, String> pass = KafkaClients.passThrough(overrides);
    if (kafka != null) {
      Map<String, Object> props = KafkaClients.props(kafka, pass);
      props.putIfAbsent(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
      props.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
      return new PipelineKafka(null, props, kafka, topics);
    }
    Path dir = workDir.toAbsolutePath().resolve("kafka");
    if (!Files.exists(dir.resolve("kafka-logs"))) {
      throw new ReplayException(
          "no pipeline in "
              + workDir.toAbsolutePath()
              + " (no embedded Kafka data there): pass the pipeline's --work-dir, or --kafka for a"
              + " deployed broker");
    }
    if (dev.pgconvex.stack.EmbeddedKafkaBroker.runsOn(dir)) {
      JsonNode running = runningPipeline(workDir);
      if (running != null && running.hasNonNull("kafka")) {
        String bootstrap = running.get("kafka").asText();
        Topics t =
            prefix != null || overrides.containsKey(CommonConfig.TOPIC_PREFIX)
                ? topics
                : new Topics(running.path("prefix").asText(topics.prefix()));
        return new PipelineKafka(
            null,
            KafkaClients.props(bootstrap, pass),
            "the running pipeline's embedded broker (" + bootstrap + ")",
            t);
      }
      throw new ReplayException(
          "the pipeline in "
              + workDir.toAbsolutePath()
              + " is running (its embedded Kafka broker holds the data): stop it (Ctrl-C on ./cdc"
              + " run) and run this again; nothing was changed");
    }
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(dir).keepData(true).build();
    broker.start();
    return new PipelineKafka(
        broker,
        KafkaClients.props(broker.bootstrapServers(), pass),
        "the embedded broker of " + workDir,
        topics);
  }

  private static String defaultPrefix() {
    return CommonConfig.definition().keys().stream()
        .filter(k -> k.name().equals(CommonConfig.TOPIC_PREFIX))
        .findFirst()
        .orElseThrow()
        .defaultValue();
  }

  /**
   * Whether this command started the work dir's embedded broker: the pipeline is then stopped, and
   * members still in its groups are leftovers (static members outlive a stop until their session
   * times out).
   */
  public boolean startedHere() {
    return embedded != null;
  }

  public Topics topics() {
    return topics;
  }

  /** Client properties (a new, mutable map). */
  public Map<String, Object> clientProps() {
    return new java.util.HashMap<>(clientProps);
  }

  public KafkaState state() {
    return new KafkaState(admin, where);
  }

  public Admin admin() {
    return admin;
  }

  public String where() {
    return where;
  }

  @Override
  public void close() {
    admin.close();
    if (embedded != null) {
      embedded.close();
    }
  }

  // pipeline.json of a ./cdc run that is alive, or null
  private static JsonNode runningPipeline(Path workDir) {
    Path file = workDir.toAbsolutePath().resolve(Pipeline.DISCOVERY_FILE);
    try {
      if (!Files.exists(file)) {
        return null;
      }
      JsonNode d = Json.parse(Files.readString(file));
      long pid = d.path("pid").asLong();
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? d : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }
}
