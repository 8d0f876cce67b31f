package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A short {@code ./cdc soak} as a user runs it (its own JVM, the stages in theirs): three rounds,
 * each with another fault, a SIGKILL of the transformer among them; nothing lost, duplicated or
 * different, and the JSON has the shape scripts read. Kept to about 100 s of the suite's budget.
 */
@Timeout(240)
class SoakIT {
  @Test
  void threeRoundsOfDifferentFaultsLoseNothing() throws Exception {
    Path work = Path.of("target", "it", TestNames.unique("soak")).toAbsolutePath();
    List<String> args =
        new ArrayList<>(
            List.of(
                "soak",
                "--rounds",
                "3",
                "--round-s",
                "6",
                "--rows-per-s",
                "100",
                "--seed-rows",
                "10",
                // C1 only: the stages' JVMs start faster on a busy 2-core machine
                "--stage-jvm-opts",
                "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1",
                "--faults",
                "kill-transformer,postgres-restart,convex-errors",
                "--seed",
                "16",
                "--converge-timeout-s",
                "90",
                "--work-dir",
                work.toString(),
                "--json"));
    try (ChildCli cli = ChildCli.start(args)) {
      int code = cli.awaitExit(Duration.ofSeconds(220));
      String out = cli.out();
      assertThat(code).as(out + cli.err()).isZero();
      JsonNode report = Json.parse(out.strip());
      assertThat(report.get("passed").asBoolean()).isTrue();
      JsonNode rounds = report.get("rounds");
      assertThat(rounds).hasSize(3);
      List<String> faults = new ArrayList<>();
      rounds.forEach(r -> faults.add(r.get("fault").asText().split("\\+")[0]));
      assertThat(faults)
          .containsExactlyInAnyOrder("kill-transformer", "postgres-restart", "convex-errors");
      for (JsonNode r : rounds) {
        assertThat(r.get("changes").asLong()).as(r.toString()).isPositive();
        assertThat(r.get("converged").asBoolean()).as(r.toString()).isTrue();
        for (String f : List.of("lost", "duplicated", "different", "extra", "wrongRefs")) {
          assertThat(r.get(f).asLong()).as(f + " " + r).isZero();
        }
      }
      JsonNode t = report.get("totals");
      assertThat(t.get("kills").asLong()).isGreaterThanOrEqualTo(1);
      for (String f : List.of("lost", "duplicated", "different", "wrongRefs")) {
        assertThat(t.get(f).asLong()).as(f).isZero();
      }
      assertThat(t.get("changes").asLong()).isGreaterThan(1000);
    } finally {
      Pipeline.deleteRecursively(work);
    }
  }
}
