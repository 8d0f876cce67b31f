package dev.pgconvex.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.config.CommonConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
  @Test
  void securitySettingsReachEveryClientAndTheDeclaredBootstrapWins() {
    Map<String, String> passThrough =
        KafkaClients.passThrough(
            Map.of(
                "kafka.security.protocol",
                "SASL_SSL",
                "kafka.sasl.mechanism",
                "SCRAM-SHA-512",
                CommonConfig.KAFKA_BOOTSTRAP_SERVERS,
                "ignored:1",
                "sink.batch.max.ops",
                "500"));
    assertThat(passThrough)
        .containsOnly(
            Map.entry("security.protocol", "SASL_SSL"),
            Map.entry("sasl.mechanism", "SCRAM-SHA-512"));

    Map<String, Object> props = KafkaClients.props("broker:9092", passThrough);
    assertThat(props)
        .containsEntry("bootstrap.servers", "broker:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    props.put("acks", "all"); // callers add their own keys
    assertThat(KafkaClients.props("b:1", Map.of("bootstrap.servers", "x:2")))
        .containsEntry("bootstrap.servers", "b:1");
  }
}
