package dev.pgconvex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ./cdc cutover} with bad input: one line saying what and how to fix, exit 2. */
class CutoverCommandTest {
  private static final String URL = "jdbc:postgresql://127.0.0.1:1/none";

  @Test
  void badInputIsOneClearLineAndExitTwo() {
    var cases =
        List.of(
            List.of("--freeze", "stop"),
            List.of("--verify", "some"),
            List.of("--freeze", "lock", "--freeze-role", "app"),
            List.of("--max-pause-s", "0"),
            List.of("--endpoint", "http://127.0.0.1:1"));
    var expected =
        List.of(
            "lock, read-only or none",
            "changed, full or none",
            "--freeze-role goes with --freeze read-only",
            "--max-pause-s",
            "Postgres");
    for (int i = 0; i < cases.size(); i++) {
      List<String> args = new java.util.ArrayList<>(List.of("cutover", "--pg-url", URL));
      args.addAll(cases.get(i));
      CliRun r = CliRun.of(args.toArray(String[]::new));
      assertThat(r.code).as(args + ": " + r.err).isEqualTo(2);
      List<String> lines = r.err.lines().filter(l -> !l.isBlank()).toList();
      assertThat(lines).as(args + ": " + r.err).hasSize(1);
      assertThat(lines.get(0))
          .startsWith("cannot cut over: ")
          .contains(expected.get(i))
          .doesNotContain("Exception");
    }
  }
}
