package dev.pgconvex.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Java side of the document hash agrees with convex/cdc/verify.ts on the shared cases
 * (convex/tests/verifyHash.cases.json, which the TypeScript tests check too).
 */
class DocHashTest {
  private static final Path CASES = Path.of("..", "convex", "tests", "verifyHash.cases.json");

  private static JsonNode cases() throws IOException {
    return Json.parse(Files.readString(CASES));
  }

  @TestFactory
  Stream<DynamicTest> sharedCasesHashAsInConvex() throws IOException {
    JsonNode c = cases();
    assertThat(c.get("docs").size()).isGreaterThan(5);
    Stream.Builder<DynamicTest> tests = Stream.builder();
    for (JsonNode d : c.get("docs")) {
      tests.add(
          DynamicTest.dynamicTest(
              d.get("name").asText(),
              () ->
                  assertThat(DocHash.hex(DocHash.of(d.get("key").asText(), d.get("json"))))
                      .isEqualTo(d.get("hash").asText())));
    }
    return tests.build();
  }

  @Test
  void chunksAddUpAsInConvex() throws IOException {
    JsonNode c = cases();
    Map<String, JsonNode> byName = new HashMap<>();
    c.get("docs").forEach(d -> byName.put(d.get("name").asText(), d));
    for (JsonNode chunk : c.get("chunks")) {
      long sum = 0;
      for (JsonNode name : chunk.get("docs")) {
        JsonNode d = byName.get(name.asText());
        sum = DocHash.add(sum, DocHash.of(d.get("key").asText(), d.get("json")));
      }
      assertThat(DocHash.hex(sum))
          .as(chunk.get("name").asText())
          .isEqualTo(chunk.get("hash").asText());
    }
  }

  @Test
  void everyChangeChangesTheHash() {
    JsonNode base = Json.parse("{\"a\":\"x\",\"b\":1}");
    long h = DocHash.of("[1]", base);
    for (String other :
        List.of(
            "{\"a\":\"y\",\"b\":1}",
            "{\"c\":\"x\",\"b\":1}",
            "{\"a\":\"x\",\"b\":2}",
            "{\"a\":\"x\",\"b\":\"1\"}",
            "{\"a\":\"x\"}",
            "{\"a\":[\"x\"],\"b\":1}",
            "{\"a\":\"x\",\"b\":1,\"c\":null}")) {
      assertThat(DocHash.of("[1]", Json.parse(other))).as(other).isNotEqualTo(h);
    }
    assertThat(DocHash.of("[2]", base)).isNotEqualTo(h);
    // field order and number representation do not matter
    assertThat(DocHash.of("[1]", Json.parse("{\"b\":1.0,\"a\":\"x\"}"))).isEqualTo(h);
  }

  @Test
  void addIsOrderIndependentAndHexRoundTrips() {
    long a = DocHash.of("[1]", Json.parse("{\"a\":1}"));
    long b = DocHash.of("[2]", Json.parse("{\"a\":2}"));
    long c = DocHash.of("[3]", Json.parse("{\"a\":3}"));
    assertThat(DocHash.add(DocHash.add(a, b), c)).isEqualTo(DocHash.add(c, DocHash.add(b, a)));
    assertThat(DocHash.parse(DocHash.hex(a))).isEqualTo(a);
    assertThat(DocHash.hex(0)).isEqualTo("0000000000000000");
  }
}
