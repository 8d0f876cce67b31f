package dev.pgconvex.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An OCI image tarball as Jib's {@code buildTar} writes it (an OCI layout: {@code index.json}, the
 * manifest, the config and the layers as blobs), unpacked without Docker: the layers are extracted
 * in order into one root file system, and the config says how to run it. {@link #command} turns the
 * image's own entrypoint and arguments into a command for this machine: {@code java} is the test's
 * JDK (the base's JRE layers are not in a {@code scratch}-based tarball) and every absolute path
 * that exists in the image, including those inside the {@code @argfile} (the classpath), is moved
 * under the root file system. Nothing else is changed.
 */
final class OciImage {
  private static final ObjectMapper JSON = new ObjectMapper();

  final Path rootfs;
  final JsonNode config;
  final JsonNode manifest;
  final List<String> layerMediaTypes = new ArrayList<>();

  private OciImage(Path rootfs, JsonNode manifest, JsonNode config) {
    this.rootfs = rootfs;
    this.manifest = manifest;
    this.config = config;
  }

  /** Unpacks {@code tar} into {@code dir} ({@code dir/layout} and {@code dir/rootfs}). */
  static OciImage unpack(Path tar, Path dir) throws IOException, InterruptedException {
    Path layout = dir.resolve("layout");
    Path rootfs = dir.resolve("rootfs");
    Files.createDirectories(layout);
    Files.createDirectories(rootfs);
    run(List.of("tar", "-xf", tar.toString(), "-C", layout.toString()));
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    JsonNode manifest = JSON.readTree(blob(layout, index.get("manifests").get(0)).toFile());
    JsonNode config = JSON.readTree(blob(layout, manifest.get("config")).toFile());
    OciImage image = new OciImage(rootfs, manifest, config.get("config"));
    for (JsonNode layer : manifest.get("layers")) {
      String type = layer.get("mediaType").asText();
      image.layerMediaTypes.add(type);
      List<String> cmd = new ArrayList<>(List.of("tar", "-x", "-p"));
      if (type.endsWith("+gzip")) {
        cmd.add("-z");
      }
      cmd.addAll(List.of("-f", blob(layout, layer).toString(), "-C", rootfs.toString()));
      run(cmd);
    }
    deleteTree(layout); // the blobs: half the disk, no longer needed
    return image;
  }

  /** Removes {@code dir} and everything under it. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static Path blob(Path layout, JsonNode descriptor) {
    String[] digest = descriptor.get("digest").asText().split(":", 2);
    return layout.resolve("blobs").resolve(digest[0]).resolve(digest[1]);
  }

  List<String> entrypoint() {
    return strings(config.get("Entrypoint"));
  }

  List<String> cmd() {
    return strings(config.get("Cmd"));
  }

  String user() {
    return config.path("User").asText("");
  }

  String workingDir() {
    return config.path("WorkingDir").asText("/");
  }

  Map<String, String> labels() {
    Map<String, String> out = new LinkedHashMap<>();
    config
        .path("Labels")
        .fields()
        .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  Map<String, String> env() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String e : strings(config.get("Env"))) {
      int eq = e.indexOf('=');
      out.put(e.substring(0, eq), e.substring(eq + 1));
    }
    return out;
  }

  /** The image path {@code p} (absolute in the image) on this machine. */
  Path path(String p) {
    return rootfs.resolve(p.startsWith("/") ? p.substring(1) : p);
  }

  /**
   * The entrypoint with {@code args} as the command ({@code null}: the image's own {@code Cmd}),
   * paths moved under the root file system; {@code @argfile}s are rewritten into {@code scratch}.
   */
  List<String> command(List<String> args, Path scratch) throws IOException {
    List<String> all = new ArrayList<>(entrypoint());
    all.addAll(args == null ? cmd() : args);
    return hostCommand(all, scratch);
  }

  /** A command to run in the image (a healthcheck's), paths moved as for {@link #command}. */
  List<String> hostCommand(List<String> all, Path scratch) throws IOException {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      String a = all.get(i);
      if (i == 0 && a.equals("java")) {
        out.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      } else if (a.startsWith("@/")) {
        String content = Files.readString(path(a.substring(1)), StandardCharsets.UTF_8);
        Path moved = scratch.resolve(Path.of(a.substring(1)).getFileName() + ".host");
        Files.createDirectories(scratch);
        Files.writeString(moved, movePaths(content));
        out.add("@" + moved);
      } else if (a.startsWith("-") && a.contains("=/")) {
        int eq = a.indexOf('=');
        out.add(a.substring(0, eq + 1) + movePaths(a.substring(eq + 1)));
      } else {
        out.add(movePaths(a));
      }
    }
    return out;
  }

  // Each ':'-separated element that is an absolute path existing in the image is moved under
  // rootfs.
  private String movePaths(String value) {
    if (!value.contains("/")) {
      return value;
    }
    String[] parts = value.strip().split(":", -1);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (i > 0) {
        sb.append(':');
      }
      if (p.startsWith("/") && !p.startsWith("//") && existsInImage(p)) {
        sb.append(path(p));
      } else {
        sb.append(p);
      }
    }
    return sb.toString();
  }

  // The path, or the directory it would be created in (not the root), is in the image.
  private boolean existsInImage(String p) {
    Path host = path(p.endsWith("*") ? p.substring(0, p.length() - 1) : p);
    return Files.exists(host)
        || (!host.getParent().equals(rootfs) && Files.isDirectory(host.getParent()));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(n -> out.add(n.asText()));
    }
    return out;
  }

  private static void run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
  }
}
