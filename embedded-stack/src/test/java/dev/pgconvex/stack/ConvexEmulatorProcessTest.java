package dev.pgconvex.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvexEmulatorProcessTest {
  @TempDir Path tmp;

  @Test
  void homeComesFromPropertyThenEnvThenWalkingUp() throws Exception {
    Path repo = tmp.resolve("repo");
    Files.createDirectories(repo.resolve("convex-emulator/bin"));
    Files.writeString(repo.resolve(ConvexEmulatorProcess.SCRIPT), "");
    Path deep = Files.createDirectories(repo.resolve("a/b/c"));

    assertThat(ConvexEmulatorProcess.locateHome("/from/prop", k -> "/from/env", deep))
        .isEqualTo(Path.of("/from/prop"));
    assertThat(
            ConvexEmulatorProcess.locateHome(null, Map.of("PGCONVEX_HOME", "/from/env")::get, deep))
        .isEqualTo(Path.of("/from/env"));
    assertThat(ConvexEmulatorProcess.locateHome("", k -> null, deep))
        .isEqualTo(repo.toAbsolutePath());
    assertThatThrownBy(
            () -> ConvexEmulatorProcess.locateHome(null, k -> null, tmp.resolve("elsewhere")))
        .isInstanceOf(StackException.class)
        .hasMessageContaining("pgconvex.home");
  }

  @Test
  void commandLineFollowsTheCli() {
    ConvexEmulatorProcess p =
        ConvexEmulatorProcess.builder()
            .home(Path.of("/repo"))
            .dataDir(Path.of("/data"))
            .adminKey(new Secret("k"))
            .extraArgs("--fault-503", "0.1")
            .build();
    assertThat(p.command())
        .containsExactly(
            "node",
            "/repo/convex-emulator/bin/convex-emulator.js",
            "--port",
            "0",
            "--functions",
            "/repo/convex",
            "--data",
            "/data",
            "--exit-on-stdin-close",
            "--fault-503",
            "0.1");
    assertThat(p.toString()).doesNotContain("--admin-key");
  }

  @Test
  void urlBeforeStartIsAnError() {
    ConvexEmulatorProcess p = ConvexEmulatorProcess.builder().home(Path.of("/repo")).build();
    assertThatThrownBy(p::url).isInstanceOf(IllegalStateException.class);
    p.close();
  }
}
