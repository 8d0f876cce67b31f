package dev.pgconvex.cli;

import dev.pgconvex.cli.replay.PipelineKafka;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where a pipeline's Kafka is, for the commands that work on its topics and groups while it is
 * stopped or deployed ({@code replay}, {@code dlq}): the embedded broker of a local work dir, or
 * {@code --kafka} with the {@code kafka.*} client keys (security settings) and the topic prefix.
 * One definition, so the commands cannot drift.
 */
final class PipelineKafkaOptions {
  @Option(
      names = "--work-dir",
      defaultValue = ".cdc/run",
      description =
          "The work dir of a stopped local pipeline (its embedded broker and Streams state)"
              + " (default: ${DEFAULT-VALUE}); ignored with --kafka.")
  Path workDir;

  @Option(names = "--kafka", description = "Kafka bootstrap servers of a deployed pipeline.")
  String kafka;

  @Option(
      names = "--prefix",
      description =
          "The pipeline's cdc.topic.prefix (default: --set cdc.topic.prefix, or pgconvex).")
  String prefix;

  @Option(
      names = "--set",
      description = "cdc.topic.prefix or a kafka.* client key=value (security; repeatable).")
  Map<String, String> overrides = new LinkedHashMap<>();

  /** The pipeline's Kafka: the caller closes it. */
  PipelineKafka open() {
    return PipelineKafka.open(kafka, workDir, overrides, prefix);
  }
}
