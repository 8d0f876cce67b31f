package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.Cdc;
import dev.pgconvex.common.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./cdc demo --rows N --exit-when-synced --json}, exactly as a user runs it, on its own
 * embedded stack.
 */
@Timeout(300)
class DemoIT {
  @Test
  void demoLoadsRowsWaitsForSyncAndPrintsTheSummary() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code =
          Cdc.execute(
              "demo",
              "--rows",
              "600",
              "--exit-when-synced",
              "--json",
              "--timeout-s",
              "180",
              "--work-dir",
              "target/it/demo");
    } finally {
      System.setOut(old);
    }
    String text = out.toString(StandardCharsets.UTF_8).trim();
    assertThat(code).as(text).isZero();
    JsonNode json = Json.parse(text.substring(text.lastIndexOf("\n") + 1));
    assertThat(json.get("synced").asBoolean()).isTrue();
    assertThat(json.get("unresolvedRefs").asLong()).isZero();
    assertThat(json.get("elapsedMs").asLong()).isPositive();
    for (String table : new String[] {"users", "threads", "messages"}) {
      JsonNode t = json.get("tables").get(table);
      assertThat(t.get("pgRows").asLong()).as(table).isPositive();
      assertThat(t.get("convexDocs").asLong()).as(table).isEqualTo(t.get("pgRows").asLong());
    }
    assertThat(
            json.get("tables").get("users").get("pgRows").asLong()
                + json.get("tables").get("threads").get("pgRows").asLong()
                + json.get("tables").get("messages").get("pgRows").asLong())
        .as("600 rows loaded, a few messages deleted")
        .isBetween(590L, 600L);
  }
}
