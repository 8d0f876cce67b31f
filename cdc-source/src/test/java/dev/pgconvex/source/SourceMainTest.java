package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Argument parsing itself is ServiceRunner's (common's ServiceRunnerTest). */
class SourceMainTest {
  @Test
  void badConfigExitsWithTwoAndListsEveryProblem() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        SourceMain.run(
            new String[] {"pg.password=hunter2", "source.snapshot.mode=x"},
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("pg.jdbc.url: required", "pg.user: required", "source.tables: required")
        .contains("source.snapshot.mode")
        .doesNotContain("hunter2");
  }
}
