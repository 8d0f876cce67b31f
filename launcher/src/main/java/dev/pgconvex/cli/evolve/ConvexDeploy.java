package dev.pgconvex.cli.evolve;

import dev.pgconvex.common.config.Secret;
import dev.pgconvex.stack.ConvexEmulatorProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Deploys a functions folder with the official Convex CLI, {@code npx convex deploy}, as a user
 * does: from a Convex project (a folder with {@code package.json}, the {@code convex} package in
 * {@code node_modules}, and the functions in {@code convex/}). A self-hosted backend (and the
 * emulator) is reached through {@code CONVEX_SELF_HOSTED_URL} and {@code
 * CONVEX_SELF_HOSTED_ADMIN_KEY}; a Convex cloud deployment ({@code *.convex.cloud}) through {@code
 * CONVEX_DEPLOY_KEY}. The key goes to the child's environment only, never to its arguments or to
 * what is printed.
 */
public final class ConvexDeploy {
  /** The arguments after {@code npx convex}. */
  static final List<String> ARGS =
      List.of("deploy", "--typecheck", "disable", "--codegen", "disable");

  private final Path project;
  private final String url;
  private final Secret key;

  /**
   * @param project the Convex project whose {@code convex/} folder is deployed
   */
  public ConvexDeploy(Path project, String url, Secret key) {
    this.project = project;
    this.url = url;
    this.key = key;
  }

  /**
   * A project for a functions folder outside one (the folder {@code ./cdc run} writes into its work
   * dir): {@code <folder's parent>/.deploy} with a {@code package.json}, the {@code convex} package
   * the pipeline ships with (the emulator's), and a copy of the folder as {@code convex/} (a copy:
   * the bundler resolves imports from a linked folder's real place, where no package is).
   */
  public static Path projectFor(Path functions) throws IOException {
    Path parent = functions.toAbsolutePath().getParent();
    if (Files.exists(parent.resolve("package.json"))
        && functions.getFileName().toString().equals("convex")) {
      return parent;
    }
    Path project = parent.resolve(".deploy");
    Files.createDirectories(project);
    copyFolder(functions.toAbsolutePath(), project.resolve("convex"));
    Path modules =
        ConvexEmulatorProcess.locateHome().resolve("convex-emulator").resolve("node_modules");
    Path convexPackage = modules.resolve("convex").resolve("package.json");
    if (!Files.isRegularFile(convexPackage)) {
      throw new IOException(
          "no convex package at "
              + modules
              + " to deploy with; give --project, a Convex project with the convex package"
              + " installed (npm install convex)");
    }
    // The CLI pushes only from a project that depends on it.
    String version =
        dev.pgconvex.common.json.Json.parse(Files.readString(convexPackage))
            .path("version")
            .asText();
    Files.writeString(
        project.resolve("package.json"),
        "{\"name\":\"pgconvex-deploy\",\"private\":true,\"type\":\"module\","
            + "\"dependencies\":{\"convex\":\""
            + version
            + "\"}}\n");
    link(project.resolve("node_modules"), modules);
    return project;
  }

  private static void copyFolder(Path from, Path to) throws IOException {
    if (Files.exists(to)) {
      try (var walk = Files.walk(to)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    try (var walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  private static void link(Path link, Path target) throws IOException {
    if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(target)) {
      return;
    }
    Files.deleteIfExists(link);
    Files.createSymbolicLink(link, target);
  }

  /** The command a user runs instead, without the key. */
  public String commandLine() {
    boolean cloud = isCloud();
    return "cd "
        + project
        + " && "
        + (cloud
            ? "CONVEX_DEPLOY_KEY=<key>"
            : "CONVEX_SELF_HOSTED_URL=" + url + " CONVEX_SELF_HOSTED_ADMIN_KEY=<admin key>")
        + " npx convex "
        + String.join(" ", ARGS);
  }

  private boolean isCloud() {
    return url.contains(".convex.cloud");
  }

  /** What the CLI said; {@code ok} when it exited 0. */
  public record Result(boolean ok, String output, long millis) {}

  /** Runs the deploy (up to {@code timeoutS} seconds). */
  public Result run(long timeoutS) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("npx", "--no-install", "convex"));
    cmd.addAll(ARGS);
    ProcessBuilder b = new ProcessBuilder(cmd).directory(project.toFile());
    b.environment().put("CI", "1");
    b.environment().remove("CONVEX_DEPLOYMENT");
    if (isCloud()) {
      b.environment().put("CONVEX_DEPLOY_KEY", key.reveal());
    } else {
      b.environment().put("CONVEX_SELF_HOSTED_URL", url);
      b.environment().put("CONVEX_SELF_HOSTED_ADMIN_KEY", key.reveal());
      b.environment().remove("CONVEX_DEPLOY_KEY");
    }
    b.redirectErrorStream(true);
    long t0 = System.nanoTime();
    Process p = b.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(false, "npx convex deploy did not finish in " + timeoutS + " s", 0);
    }
    String text = new String(out, StandardCharsets.UTF_8).replace(key.reveal(), "<key>");
    return new Result(p.exitValue() == 0, text, (System.nanoTime() - t0) / 1_000_000);
  }
}
