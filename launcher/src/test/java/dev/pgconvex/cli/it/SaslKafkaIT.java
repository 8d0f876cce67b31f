package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.kafka.KafkaClients;
import dev.pgconvex.operations.lag.ConsumerLag;
import dev.pgconvex.stack.EmbeddedKafkaBroker;
import dev.pgconvex.stack.testing.TestNames;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Kafka cluster that requires SASL/PLAIN: with the {@code kafka.security.protocol}, {@code
 * kafka.sasl.mechanism} and {@code kafka.sasl.jaas.config} pass-through keys every Kafka client of
 * the pipeline gets in (the source's topic bootstrap, producer and offset store, the transformer's
 * source-topic check and Streams, the sink, the lag reader); a client without them, or with a wrong
 * password, is refused; the password shows in no log line, status or metric.
 */
@Timeout(300)
class SaslKafkaIT {
  @Test
  void everyKafkaClientOfThePipelineAuthenticatesWithThePassThroughKeys() throws Exception {
    String password = "pw-" + UUID.randomUUID();
    try (EmbeddedKafkaBroker broker =
        EmbeddedKafkaBroker.builder(Path.of("target", "it", TestNames.unique("sasl-kafka")))
            .saslPlain("pgconvex", password)
            .build()) {
      broker.start();
      Map<String, String> security = broker.clientSecurity();
      assertThat(security.get("sasl.jaas.config")).contains(password);

      // Refused: no credentials (the broker drops the connection, the call times out), and a
      // wrong password (an authentication error).
      assertThatThrownBy(() -> listTopics(broker.bootstrapServers(), Map.of()))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
      Map<String, String> wrong = new HashMap<>(security);
      wrong.put("sasl.jaas.config", security.get("sasl.jaas.config").replace(password, "nope"));
      assertThatThrownBy(() -> listTopics(broker.bootstrapServers(), wrong))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(SaslAuthenticationException.class);
      // The factory applies the same keys: in.
      assertThat(listTopics(broker.bootstrapServers(), security)).isNotNull();

      // The pipeline is given the secret through Kafka's own FileConfigProvider: its
      // configuration names a file, never the password.
      Path secrets = Path.of("target", "it", TestNames.unique("sasl-secrets") + ".properties");
      Files.createDirectories(secrets.getParent());
      Properties secretFile = new Properties();
      secretFile.setProperty("sasl.jaas.config", security.get("sasl.jaas.config"));
      try (var out = Files.newOutputStream(secrets)) {
        secretFile.store(out, null);
      }
      PipelineSettings settings =
          ItSupport.sharedSettings(
                  "sasl", DemoDatabase.TABLES, DemoDatabase.RELATIONS, broker.bootstrapServers())
              .withOverride("kafka.config.providers", "file")
              .withOverride(
                  "kafka.config.providers.file.class",
                  "org.apache.kafka.common.config.provider.FileConfigProvider");
      for (var e : security.entrySet()) {
        String value =
            e.getKey().equals("sasl.jaas.config")
                ? "${file:" + secrets.toAbsolutePath() + ":sasl.jaas.config}"
                : e.getValue();
        settings = settings.withOverride("kafka." + e.getKey(), value);
      }
      ByteArrayOutputStream logged = new ByteArrayOutputStream();
      PrintStream err = System.err;
      System.setErr(new PrintStream(new Tee(err, logged), true, StandardCharsets.UTF_8));
      try (Pipeline p = new Pipeline(settings)) {
        p.startInfrastructure();
        try (Connection db = p.connect()) {
          DemoDatabase demo = new DemoDatabase(db, 1);
          demo.createSchema();
          demo.load(100);
          p.startServices();
          demo.load(100);
          SyncResult r =
              new SyncWaiter(p)
                  .await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
          assertThat(r.synced()).as(r.toJson().toString()).isTrue();
        }
        // The lag reader, through the pipeline's client properties: in, and drained.
        try (ConsumerLag lag = new ConsumerLag(p.kafkaClientProps())) {
          await().atMost(Duration.ofSeconds(60)).until(() -> lag.drained(p.topics(), p.mapping()));
        }
        // ... and without the keys it is refused.
        Map<String, Object> bare = KafkaClients.props(broker.bootstrapServers(), Map.of());
        bare.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        bare.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
        try (ConsumerLag lag = new ConsumerLag(bare)) {
          assertThatThrownBy(() -> lag.drained(p.topics(), p.mapping()))
              .isInstanceOfAny(
                  ExecutionException.class, java.util.concurrent.TimeoutException.class);
        }
        assertThat(p.kafkaClientProps().toString()).doesNotContain(password);
        assertThat(PipelineIT.http(p, "/status")).doesNotContain(password);
        assertThat(PipelineIT.http(p, "/metrics")).doesNotContain(password);
      } finally {
        System.setErr(err);
      }
      assertThat(logged.toString(StandardCharsets.UTF_8))
          .contains("Started transformer")
          .doesNotContain(password);
    }
  }

  private static Object listTopics(String bootstrap, Map<String, String> security)
      throws Exception {
    Map<String, Object> props = KafkaClients.props(bootstrap, security);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    try (Admin admin = Admin.create(props)) {
      return admin.listTopics().names().get(10, TimeUnit.SECONDS);
    }
  }

  /** Writes to both streams: the log stays visible and is checked afterwards. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public synchronized void write(int c) throws java.io.IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public void flush() throws java.io.IOException {
      a.flush();
      b.flush();
    }
  }
}
