package dev.pgconvex.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pipeline that {@code ./cdc run} or {@code ./cdc demo} runs on this machine, found through the
 * discovery file {@code pipeline.json} in its work dir ({@code status}, {@code cutover}).
 *
 * @param endpoint its HTTP endpoint
 * @param prefix its {@code cdc.topic.prefix}
 */
record LocalPipeline(String endpoint, String prefix) {
  /**
   * The running pipeline in {@code workDir}, or else in {@code .cdc/run} then {@code .cdc/demo}.
   *
   * @throws UserFacingException when none runs there (naming stale files)
   */
  static LocalPipeline find(Path workDir) throws IOException {
    List<Path> candidates =
        workDir != null
            ? List.of(workDir)
            : List.of(Path.of(".cdc", "run"), Path.of(".cdc", "demo"));
    List<String> stale = new ArrayList<>();
    for (Path dir : candidates) {
      Path file = dir.resolve(Pipeline.DISCOVERY_FILE);
      if (!Files.exists(file)) {
        continue;
      }
      JsonNode d = Json.parse(Files.readString(file));
      long pid = d.path("pid").asLong();
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        return new LocalPipeline(d.path("endpoint").asText(), d.path("prefix").asText(null));
      }
      stale.add(file + " (pid " + pid + " is not running)");
    }
    throw new UserFacingException(
        "no running pipeline found"
            + (stale.isEmpty() ? " in " + candidates : "; stale: " + String.join(", ", stale))
            + ": start one with ./cdc run or ./cdc demo, or give its endpoints with --endpoint"
            + " http://host:port");
  }
}
