package dev.pgconvex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input of {@code ./cdc replay} and {@code ./cdc dlq}, refused before Kafka is asked. */
class ReplayCommandTest {
  private static void oneLine(CliRun r, String text) {
    assertThat(r.code).as(r.out + r.err).isEqualTo(1);
    assertThat(r.err.strip().lines()).as(r.err).hasSize(1);
    assertThat(r.err).startsWith("error: ").contains(text);
  }

  @Test
  void badTargetsAndStagesAreOneLine(@TempDir Path dir) {
    String w = dir.toString();
    oneLine(
        CliRun.of("replay", "--stage", "source", "--to-earliest", "--work-dir", w),
        "unknown stage 'source'");
    oneLine(CliRun.of("replay", "--stage", "sink", "--work-dir", w), "no target given");
    oneLine(
        CliRun.of("replay", "--stage", "sink", "--to-earliest", "--by-duration", "PT1H"),
        "more than one target given");
    oneLine(
        CliRun.of("replay", "--stage", "sink", "--to-offset", "ops:0", "--work-dir", w),
        "is malformed: write TOPIC:PARTITION:OFFSET");
    oneLine(
        CliRun.of("replay", "--stage", "sink", "--to-datetime", "today", "--work-dir", w),
        "not an ISO-8601 date-time");
    oneLine(
        CliRun.of("replay", "--stage", "sink", "--to-earliest", "--dry-run", "--execute"),
        "not both");
    oneLine(
        CliRun.of("replay", "--stage", "sink", "--to-earliest", "--new-mirror"),
        "--new-mirror is for --stage transformer");
    assertThat(CliRun.of("replay", "--to-earliest").code).as("--stage is required").isEqualTo(2);
  }

  @Test
  void aWorkDirWithoutAPipelineIsOneLine(@TempDir Path dir) {
    oneLine(
        CliRun.of("replay", "--stage", "sink", "--to-earliest", "--work-dir", dir.toString()),
        "no pipeline in " + dir.toAbsolutePath());
    oneLine(CliRun.of("dlq", "list", "--work-dir", dir.toString()), "no pipeline in");
    oneLine(
        CliRun.of("dlq", "list", "--since", "soon", "--work-dir", dir.toString()),
        "--since 'soon'");
  }
}
