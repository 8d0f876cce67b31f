package dev.pgconvex.common.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.observe.ServiceEndpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ServiceRunnerTest {
  @TempDir Path dir;

  @Test
  void argumentsApplyInOrderTrimmedWithEitherConfigForm() throws Exception {
    Path f = dir.resolve("s.properties");
    Files.writeString(f, "a = from-file \nb=file\n");
    assertThat(
            ServiceRunner.parseArgs(
                new String[] {"b=first", "--config", f.toString(), " c = x ", "a=last"}, "M"))
        .containsExactlyInAnyOrderEntriesOf(Map.of("a", "last", "b", "file", "c", "x"));
    assertThat(ServiceRunner.parseArgs(new String[] {"--config=" + f}, "M"))
        .containsEntry("a", "from-file");
  }

  @Test
  void badArgumentsNameTheUsageButNoValue() {
    assertThatThrownBy(() -> ServiceRunner.parseArgs(new String[] {"--pg.password=hunter2"}, "M"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("usage: M [--config FILE.properties] [key=value ...]")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> ServiceRunner.parseArgs(new String[] {"--config"}, "M"))
        .hasMessageContaining("--config needs a file name");
    assertThatThrownBy(
            () -> ServiceRunner.parseArgs(new String[] {"--config", dir + "/missing"}, "M"))
        .hasMessageContaining("cannot read");
  }

  @Test
  void exitCodesSayWhetherToFixOrToRestart() {
    Out out = new Out();
    assertThat(ServiceRunner.run(new Fake(null, null), new String[] {"http.port=x"}, out.stream))
        .isEqualTo(ServiceRunner.FIX_FIRST);
    assertThat(out.text()).contains("http.port");

    out = new Out();
    assertThat(
            ServiceRunner.run(
                new Fake(new ConfigException(java.util.List.of("x: not ready; do y")), null),
                new String[0],
                out.stream))
        .isEqualTo(ServiceRunner.FIX_FIRST);
    assertThat(out.text()).contains("x: not ready; do y").doesNotContain("Exception");

    out = new Out();
    assertThat(
            ServiceRunner.run(
                new Fake(null, new IllegalStateException("stream thread died")),
                new String[0],
                out.stream))
        .isEqualTo(ServiceRunner.FAILED);
    assertThat(out.text()).contains("fake failed: stream thread died");

    Fake clean = new Fake(null, null);
    assertThat(ServiceRunner.run(clean, new String[0], new Out().stream))
        .isEqualTo(ServiceRunner.STOPPED);
    assertThat(clean.service.closed).isTrue();
  }

  private static final class Out {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  /** A stage whose start throws {@code startFailure}, else stops with {@code failure}. */
  private static final class Fake implements ServiceRunner.Stage<FakeService> {
    private final RuntimeException startFailure;
    private final Throwable failure;
    FakeService service;

    Fake(RuntimeException startFailure, Throwable failure) {
      this.startFailure = startFailure;
      this.failure = failure;
    }

    @Override
    public String mainName() {
      return "FakeMain";
    }

    @Override
    public Config parse(Map<String, String> props) {
      return CommonConfig.definition().parse(props);
    }

    @Override
    public FakeService create(Config config, ServiceEndpoint endpoint) {
      service = new FakeService(startFailure);
      return service;
    }

    @Override
    public Throwable awaitTermination(FakeService s) {
      return failure;
    }
  }

  private static final class FakeService implements Service {
    private final RuntimeException startFailure;
    final AtomicBoolean started = new AtomicBoolean();
    volatile boolean closed;

    FakeService(RuntimeException startFailure) {
      this.startFailure = startFailure;
    }

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public void start() {
      if (startFailure != null) {
        throw startFailure;
      }
      started.set(true);
    }

    @Override
    public Health health() {
      return Health.up("fake");
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
