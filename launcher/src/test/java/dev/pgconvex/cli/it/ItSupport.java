package dev.pgconvex.cli.it;

import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Settings for a pipeline on the shared test servers, isolated by database, slot and topic names.
 */
final class ItSupport {
  private ItSupport() {}

  static PipelineSettings sharedSettings(String name, List<String> tables, List<String> relations) {
    return sharedSettings(name, tables, relations, SharedStack.kafka().bootstrapServers());
  }

  /** As {@link #sharedSettings(String, List, List)}, with another Kafka cluster. */
  static PipelineSettings sharedSettings(
      String name, List<String> tables, List<String> relations, String kafka) {
    EmbeddedPostgresServer pg = SharedStack.postgres();
    String url = SharedStack.freshDatabase(name);
    String unique = TestNames.unique(name);
    return new PipelineSettings(
        url,
        pg.user(),
        pg.password(),
        null,
        tables,
        relations,
        kafka,
        null,
        null,
        null,
        Path.of("target", "it", unique),
        true,
        Map.of(
            "cdc.topic.prefix",
            unique,
            "source.slot.name",
            unique,
            "source.publication.name",
            unique + "_pub"),
        0,
        "public",
        List.of());
  }
}
