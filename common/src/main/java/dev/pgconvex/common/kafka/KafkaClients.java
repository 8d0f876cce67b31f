package dev.pgconvex.common.kafka;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * The properties every Kafka client of the pipeline starts from: the bootstrap servers and the
 * {@code kafka.*} pass-through keys with the prefix removed, so security settings ({@code
 * security.protocol}, {@code sasl.*}, {@code ssl.*}) reach every admin, producer and consumer, not
 * only some. Callers add their own keys on top. Stateless.
 */
public final class KafkaClients {
  private KafkaClients() {}

  /** From a stage's configuration ({@code kafka.bootstrap.servers} and {@code kafka.*}). */
  public static Map<String, Object> props(Config config) {
    return props(
        config.getString(CommonConfig.KAFKA_BOOTSTRAP_SERVERS), config.passthrough("kafka."));
  }

  /**
   * @param passThrough client keys without the {@code kafka.} prefix
   */
  public static Map<String, Object> props(
      String bootstrapServers, Map<String, String> passThrough) {
    Map<String, Object> p = new HashMap<>(passThrough);
    // The pass-through may carry kafka.bootstrap.servers itself (the declared key): the declared
    // value wins.
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return p;
  }

  /** {@code kafka.*} entries of {@code overrides}, prefix removed (a CLI's {@code --set}s). */
  public static Map<String, String> passThrough(Map<String, String> overrides) {
    Map<String, String> out = new HashMap<>();
    overrides.forEach(
        (k, v) -> {
          if (k.startsWith("kafka.") && !k.equals(CommonConfig.KAFKA_BOOTSTRAP_SERVERS)) {
            out.put(k.substring("kafka.".length()), v);
          }
        });
    return out;
  }
}
