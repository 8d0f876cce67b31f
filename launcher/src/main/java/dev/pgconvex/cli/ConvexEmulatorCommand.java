package dev.pgconvex.cli;

import dev.pgconvex.stack.ConvexEmulatorProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code ./cdc convex-emulator}: the local Convex emulator in the foreground (Node, from
 * convex-emulator/).
 */
@Command(
    name = "convex-emulator",
    mixinStandardHelpOptions = true,
    description = {
      "Start the local Convex emulator in the foreground.",
      "Further flags (--fault-503, --write-limit-mib-per-s, ...) go to the emulator; see convex-emulator/README.md."
    })
final class ConvexEmulatorCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      defaultValue = "3210",
      description = "Port (0 for a free one; default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--admin-key",
      description = "Admin key callers must send (else the environment variable CONVEX_ADMIN_KEY).")
  String adminKey;

  @Option(
      names = "--functions",
      description =
          "A Convex functions folder with its schema.ts (default: none; deploy one with `npx convex"
              + " deploy`, or serve what the last deploy kept in --data).")
  Path functions;

  @Option(
      names = "--data",
      description = "Keep the data in this folder across restarts (default: in memory).")
  Path data;

  @Unmatched List<String> extra = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    String key = adminKey != null ? adminKey : System.getenv("CONVEX_ADMIN_KEY");
    if (key == null || key.isBlank()) {
      throw new UserFacingException(
          "give the admin key callers must use: --admin-key KEY or CONVEX_ADMIN_KEY");
    }
    Path home = ConvexEmulatorProcess.locateHome();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "node",
                home.resolve("convex-emulator/bin/convex-emulator.js").toString(),
                "--port",
                Integer.toString(port)));
    if (functions != null) {
      cmd.add("--functions");
      cmd.add(functions.toAbsolutePath().toString());
    }
    if (data != null) {
      cmd.add("--data");
      cmd.add(data.toAbsolutePath().toString());
    }
    cmd.addAll(extra);
    ProcessBuilder builder = new ProcessBuilder(cmd).inheritIO();
    builder
        .environment()
        .put("CONVEX_ADMIN_KEY", key); // not on the command line, where ps would show it
    Process p = builder.start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "emulator-stop"));
    return p.waitFor();
  }
}
