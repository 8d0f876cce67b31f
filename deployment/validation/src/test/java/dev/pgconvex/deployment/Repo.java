package dev.pgconvex.deployment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** The repository's files, from this module's directory (deployment/validation). */
final class Repo {
  static final Path ROOT = Path.of("..", "..").toAbsolutePath().normalize();

  private Repo() {}

  static Path file(String relative) {
    return ROOT.resolve(relative);
  }

  static String read(String relative) {
    try {
      return Files.readString(file(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The image tarball the module {@code deployment/image-NAME} built. */
  static Path imageTar(String name) {
    return file("deployment/image-" + name + "/target/pgconvex-" + name + "-image.tar");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(String relative) {
    return (Map<String, Object>) yaml().load(read(relative));
  }

  /** Every document of a multi-document YAML text (empty ones left out). */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> yamlDocuments(String text) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object doc : yaml().loadAll(text)) {
      if (doc != null) {
        out.add((Map<String, Object>) doc);
      }
    }
    return out;
  }

  private static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    return new Yaml(options);
  }
}
