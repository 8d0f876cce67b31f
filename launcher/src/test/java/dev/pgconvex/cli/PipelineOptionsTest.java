package dev.pgconvex.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PipelineOptionsTest {
  @Test
  void keysJoinTheSourceKeyColumnsGivenWithSet() throws Exception {
    RunCommand run =
        CommandLine.populateCommand(
            new RunCommand(),
            "--key",
            "audit=tenant,seq",
            "--key",
            "ops.log=at",
            "--set",
            "source.key.columns=public.other:id");
    assertThat(run.options.toSettings(Path.of("w"), false, "postgres").overrides())
        .containsEntry("source.key.columns", "public.other:id;public.audit:tenant+seq;ops.log:at");

    RunCommand none = CommandLine.populateCommand(new RunCommand(), "--set", "a.b=c");
    assertThat(none.options.toSettings(Path.of("w"), false, "postgres").overrides())
        .doesNotContainKey("source.key.columns");
  }

  @Test
  void aMalformedKeyIsOneLine() {
    RunCommand run = CommandLine.populateCommand(new RunCommand(), "--key", "audit");
    assertThatThrownBy(() -> run.options.toSettings(Path.of("w"), false, "postgres"))
        .isInstanceOf(UserFacingException.class)
        .hasMessage(
            "--key: Key 'audit' is not of the form [schema.]table=col1[,col2] (e.g. audit=at,what)");
  }
}
