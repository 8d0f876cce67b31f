package dev.pgconvex.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SinkConfigTest {
  static Map<String, String> minimal() {
    Map<String, String> p = new HashMap<>();
    p.put("convex.url", "http://127.0.0.1:3210");
    p.put("convex.admin.key", "secret-admin-key");
    return p;
  }

  @Test
  void defaults() {
    Config c = SinkConfig.definition().parse(minimal(), name -> null);
    assertThat(c.getLong(SinkConfig.REQUEST_TIMEOUT_MS)).isEqualTo(30_000);
    assertThat(c.getInt(SinkConfig.BATCH_MAX_OPS)).isEqualTo(1000);
    assertThat(c.getInt(SinkConfig.BATCH_MAX_BYTES)).isEqualTo(4 * 1024 * 1024);
    assertThat(c.getLong(SinkConfig.BATCH_LINGER_MS)).isEqualTo(5);
    assertThat(c.getInt(SinkConfig.MAX_IN_FLIGHT)).isEqualTo(8);
    assertThat(c.getLong(SinkConfig.BACKOFF_INITIAL_MS)).isEqualTo(100);
    assertThat(c.getLong(SinkConfig.BACKOFF_MAX_MS)).isEqualTo(10_000);
    assertThat(c.getLong(SinkConfig.SHUTDOWN_TIMEOUT_MS)).isEqualTo(10_000);
    assertThat(SinkConfig.checkpointSource(c)).isEqualTo("pgconvex");
    assertThat(c.toString()).doesNotContain("secret-admin-key");
  }

  @Test
  void everyProblemIsReportedAtOnceAndTheKeyIsHidden() {
    Map<String, String> p = new HashMap<>();
    p.put("convex.admin.key", "");
    p.put("sink.batch.max.ops", "5000");
    p.put("sink.batch.max.bytes", "99999999");
    p.put("sink.max.in.flight.batches", "0");
    p.put("sink.oops", "1");
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> SinkConfig.definition().parse(p, name -> null));
    assertThat(e.problems())
        .hasSize(6)
        .anySatisfy(s -> assertThat(s).startsWith("convex.url: required"))
        .anySatisfy(s -> assertThat(s).startsWith("convex.admin.key"))
        .anySatisfy(s -> assertThat(s).startsWith("sink.batch.max.ops"))
        .anySatisfy(s -> assertThat(s).startsWith("sink.batch.max.bytes"))
        .anySatisfy(s -> assertThat(s).startsWith("sink.max.in.flight.batches"))
        .anySatisfy(s -> assertThat(s).startsWith("sink.oops"));
  }

  @Test
  void adminKeyFromTheEnvironmentOrAFile() throws Exception {
    Map<String, String> p = minimal();
    p.remove("convex.admin.key");
    Config fromEnv =
        SinkConfig.definition()
            .parse(p, name -> name.equals("CONVEX_ADMIN_KEY") ? "env-key" : null);
    assertThat(fromEnv.getSecret(SinkConfig.CONVEX_ADMIN_KEY).reveal()).isEqualTo("env-key");

    Path file = Files.createTempFile("admin", ".key");
    Files.writeString(file, "file-key\n");
    p.put("convex.admin.key.file", file.toString());
    Config fromFile = SinkConfig.definition().parse(p, name -> null);
    assertThat(fromFile.getSecret(SinkConfig.CONVEX_ADMIN_KEY).reveal()).isEqualTo("file-key");
  }

  @Test
  void backoffBoundsAreCheckedTogether() {
    Map<String, String> p = minimal();
    p.put("sink.retry.backoff.initial.ms", "5000");
    p.put("sink.retry.backoff.max.ms", "100");
    assertThat(catchThrowableOfType(ConfigException.class, () -> SinkConfig.parse(p)))
        .hasMessageContaining("sink.retry.backoff.initial.ms must not exceed");
  }

  @Test
  void mainArgumentsOverrideTheFile() throws Exception {
    Path file = Files.createTempFile("sink", ".properties");
    Files.writeString(file, "convex.url=http://a:1\nsink.batch.max.ops=10\n");
    Map<String, String> props =
        dev.pgconvex.common.service.ServiceRunner.parseArgs(
            new String[] {"--config", file.toString(), "sink.batch.max.ops=20"}, "SinkMain");
    assertThat(props)
        .containsEntry("convex.url", "http://a:1")
        .containsEntry("sink.batch.max.ops", "20");
  }
}
