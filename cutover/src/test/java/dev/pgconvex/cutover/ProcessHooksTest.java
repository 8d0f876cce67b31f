package dev.pgconvex.cutover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Hooks as child processes: exit codes, the cutover's variables, timeout and cancellation. */
@Timeout(30)
class ProcessHooksTest {
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final ProcessHooks hooks = new ProcessHooks(output);

  @Test
  void aHookSeesTheCutoverVariablesAndItsOutputIsKept() throws Exception {
    hooks.run(
        "on-frozen",
        "echo id=$PGCONVEX_CUTOVER_ID; echo err >&2",
        Map.of("PGCONVEX_CUTOVER_ID", "c-1"),
        Duration.ofSeconds(10),
        () -> false);
    assertThat(output.toString(StandardCharsets.UTF_8)).contains("id=c-1").contains("err");
  }

  @Test
  void aNonZeroExitFails() {
    assertThatThrownBy(
            () -> hooks.run("on-switched", "exit 3", Map.of(), Duration.ofSeconds(10), () -> false))
        .isInstanceOf(CutoverException.class)
        .hasMessage("--on-switched exited 3");
  }

  @Test
  void aHookPastItsTimeoutIsKilled() {
    long t0 = System.nanoTime();
    assertThatThrownBy(
            () -> hooks.run("on-frozen", "sleep 20", Map.of(), Duration.ofMillis(300), () -> false))
        .isInstanceOf(CutoverException.class)
        .hasMessageContaining("timed out after 300 ms");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
  }

  @Test
  void aCancelledCutoverStopsItsHook() {
    AtomicBoolean cancelled = new AtomicBoolean();
    Thread canceller =
        new Thread(
            () -> {
              java.util.concurrent.locks.LockSupport.parkNanos(
                  200_000_000L); // a moment into the hook
              cancelled.set(true);
            });
    canceller.start();
    assertThatThrownBy(
            () ->
                hooks.run(
                    "on-frozen", "sleep 20", Map.of(), Duration.ofSeconds(20), cancelled::get))
        .isInstanceOf(CutoverException.class)
        .hasMessageContaining("interrupted");
  }
}
