package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceMainTest {
  @TempDir Path dir;

  @Test
  void readsFileThenOverrides() throws Exception {
    Path f = dir.resolve("source.properties");
    Files.writeString(f, "pg.user = a\nsource.tables=public.x\n");
    var props = SourceMain.readArgs(new String[] {"--config", f.toString(), "pg.user=b"});
    assertThat(props).containsEntry("pg.user", "b").containsEntry("source.tables", "public.x");
  }

  @Test
  void rejectsUnknownArgumentsWithoutEchoingValues() {
    assertThatThrownBy(() -> SourceMain.readArgs(new String[] {"--pg.password=hunter2"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> SourceMain.readArgs(new String[] {"--config"}))
        .hasMessageContaining("--config needs a file name");
  }

  @Test
  void badConfigExitsWithTwoAndListsEveryProblem() {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = SourceMain.run(new String[] {"pg.password=hunter2", "source.snapshot.mode=x"});
    } finally {
      System.setErr(old);
    }
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("pg.jdbc.url: required", "pg.user: required", "source.tables: required")
        .contains("source.snapshot.mode")
        .doesNotContain("hunter2");
  }
}
