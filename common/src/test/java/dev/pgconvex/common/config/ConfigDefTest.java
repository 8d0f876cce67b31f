package dev.pgconvex.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.ConfigKey.Importance;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigDefTest {
  private final ConfigDef def =
      new ConfigDef()
          .define("a.count", ConfigType.INT, "1", Validator.atLeast(1), Importance.HIGH, "A count.")
          .define(
              "a.ratio",
              ConfigType.DOUBLE,
              "0.5",
              Validator.between(0, 1),
              Importance.LOW,
              "A ratio.")
          .define("a.url", ConfigType.STRING, null, Importance.HIGH, "A URL.")
          .define("a.key", ConfigType.PASSWORD, "", Importance.HIGH, "A secret.")
          .define("a.flag", ConfigType.BOOLEAN, "false", Importance.LOW, "A flag.");

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(
            () ->
                def.parse(
                    Map.of("a.count", "zero", "a.ratio", "2", "a.flag", "yes", "a.typo", "1"),
                    n -> null))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(5))
        .hasMessageContaining("a.count: value 'zero' is not a valid int")
        .hasMessageContaining("a.ratio: value '2' must be between 0 and 1")
        .hasMessageContaining("a.flag")
        .hasMessageContaining("a.url: required")
        .hasMessageContaining("a.typo: unknown configuration key");
  }

  @Test
  void secretsComeFromTheEnvironmentAndNeverShow() {
    Config c = def.parse(Map.of("a.url", "http://x"), n -> n.equals("A_KEY") ? "s3cret" : null);
    assertThat(c.getSecret("a.key").reveal()).isEqualTo("s3cret");
    assertThat(c.toString()).doesNotContain("s3cret");
    assertThat(c.getSecret("a.key").toString()).isEqualTo("[hidden]");
  }

  @Test
  void passwordsInsideValuesAreMasked() {
    ConfigDef strict =
        new ConfigDef()
            .define(
                "u",
                ConfigType.STRING,
                null,
                Validator.matches("never", "never"),
                Importance.HIGH,
                "URL");
    assertThatThrownBy(
            () ->
                strict.parse(Map.of("u", "jdbc:postgresql://h/db?user=a&password=pw1"), n -> null))
        .hasMessageNotContaining("pw1")
        .hasMessageContaining("password=[hidden]");
    assertThatThrownBy(() -> strict.parse(Map.of("u", "http://bob:pw2@host/x"), n -> null))
        .hasMessageNotContaining("pw2");
  }

  @Test
  void passThroughKeysAreKeptForClients() {
    Config c = def.parse(Map.of("a.url", "u", "kafka.linger.ms", "5"), n -> null);
    assertThat(c.passthrough("kafka.")).containsEntry("linger.ms", "5");
    assertThat(def.toMarkdown()).contains("`a.count`").contains("A_KEY");
  }
}
