package dev.pgconvex.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakReportTest {
  private static final RoundResult CLEAN =
      new RoundResult(1, "kill-transformer", 1, 12_345, 0, 0, 0, 0, 0, 8.25, true, null);

  @Test
  void aCleanRunPrintsTheTableTotalsAndPassed() {
    SoakReport r =
        new SoakReport(
            77,
            List.of(
                CLEAN,
                new RoundResult(
                    2,
                    "kill-two(source,sink)+convex-errors",
                    2,
                    10_000,
                    0,
                    0,
                    0,
                    0,
                    0,
                    12.0,
                    true,
                    null)),
            "./cdc soak --seed 77");
    String text = print(r);
    assertThat(text)
        .contains("round", "fault", "kills", "changes", "lost", "dupl.", "different", "wrong refs")
        .contains("kill-transformer")
        .contains("kill-two(source,sink)+convex-errors")
        .contains("12,345")
        .contains("22,345")
        .contains("8.3 s")
        .contains("max 12.0 s")
        .contains("verdict: PASSED (seed 77)")
        .doesNotContain("reproduce");
    assertThat(r.passed()).isTrue();
  }

  @Test
  void aLossFailsWithTheSeedAndTheCommandToReproduceIt() {
    SoakReport r =
        new SoakReport(
            9,
            List.of(
                CLEAN,
                new RoundResult(
                    2, "broker-restart", 0, 500, 3, 1, 0, 0, 2, 300, false, "did not converge")),
            "./cdc soak --seed 9");
    assertThat(r.passed()).isFalse();
    assertThat(print(r))
        .contains("verdict: FAILED (seed 9); reproduce with: ./cdc soak --seed 9")
        .contains("round 2: did not converge")
        .contains(">300 s");
  }

  @Test
  void jsonHasRoundsAndTotals() {
    SoakReport r =
        new SoakReport(
            5,
            List.of(
                CLEAN,
                new RoundResult(2, "scale-out", 2, 100, 1, 2, 3, 4, 5, 1.04, true, "sample")),
            "./cdc soak --seed 5");
    JsonNode j = Json.parse(Json.write(r.toJson()));
    assertThat(j.get("seed").asLong()).isEqualTo(5);
    assertThat(j.get("passed").asBoolean()).isFalse();
    assertThat(j.get("rounds")).hasSize(2);
    JsonNode second = j.get("rounds").get(1);
    assertThat(second.get("fault").asText()).isEqualTo("scale-out");
    assertThat(second.get("kills").asInt()).isEqualTo(2);
    assertThat(second.get("changes").asLong()).isEqualTo(100);
    assertThat(second.get("lost").asLong()).isEqualTo(1);
    assertThat(second.get("duplicated").asLong()).isEqualTo(2);
    assertThat(second.get("different").asLong()).isEqualTo(3);
    assertThat(second.get("extra").asLong()).isEqualTo(4);
    assertThat(second.get("wrongRefs").asLong()).isEqualTo(5);
    assertThat(second.get("convergeSeconds").asDouble()).isEqualTo(1.0);
    assertThat(second.get("note").asText()).isEqualTo("sample");
    assertThat(j.get("rounds").get(0).has("note")).isFalse();
    JsonNode t = j.get("totals");
    assertThat(t.get("changes").asLong()).isEqualTo(12_445);
    assertThat(t.get("lost").asLong()).isEqualTo(1);
    assertThat(t.get("duplicated").asLong()).isEqualTo(2);
    assertThat(t.get("different").asLong()).isEqualTo(3);
    assertThat(t.get("wrongRefs").asLong()).isEqualTo(5);
    assertThat(t.get("kills").asLong()).isEqualTo(3);
    assertThat(j.get("reproduce").asText()).isEqualTo("./cdc soak --seed 5");
  }

  @Test
  void anEmptyRunDoesNotPass() {
    assertThat(new SoakReport(1, List.of(), "x").passed()).isFalse();
  }

  private static String print(SoakReport r) {
    StringWriter w = new StringWriter();
    r.print(new PrintWriter(w));
    return w.toString();
  }
}
