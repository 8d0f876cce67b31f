package dev.pgconvex.cli;

import dev.pgconvex.common.config.Secret;
import dev.pgconvex.sink.http.ConvexClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How a tool command reaches the Convex deployment ({@code cutover}, {@code status}, {@code
 * verify}): {@code --convex-url} (or {@code CONVEX_URL}) and the admin key from {@code
 * --convex-admin-key-file} or {@code CONVEX_ADMIN_KEY}, never from the command line.
 */
final class ConvexOptions {
  @Option(
      names = "--convex-url",
      paramLabel = "URL",
      description = "Convex deployment URL (default: env CONVEX_URL).")
  String url;

  @Option(
      names = "--convex-admin-key-file",
      paramLabel = "FILE",
      description = "File holding the admin or deploy key (default: env CONVEX_ADMIN_KEY).")
  Path keyFile;

  /** The URL given, else {@code CONVEX_URL}, else null. */
  String urlOrNull() {
    String u = url != null ? url : System.getenv("CONVEX_URL");
    return u == null || u.isBlank() ? null : u;
  }

  /** The admin (or deploy) key: the file's content, else {@code CONVEX_ADMIN_KEY}. */
  Secret key() {
    String k;
    try {
      k =
          keyFile != null
              ? Files.readString(keyFile, StandardCharsets.UTF_8).strip()
              : System.getenv("CONVEX_ADMIN_KEY");
    } catch (IOException e) {
      throw new UserFacingException(
          "cannot read --convex-admin-key-file "
              + keyFile
              + " ("
              + e.getClass().getSimpleName()
              + "): give a readable file, or set CONVEX_ADMIN_KEY");
    }
    if (k == null || k.isBlank()) {
      throw new UserFacingException(
          "Convex needs an admin key: set CONVEX_ADMIN_KEY or give --convex-admin-key-file");
    }
    return new Secret(k);
  }

  /** A client of the deployment (calls time out after 30 s); the caller closes it. */
  ConvexClient client() {
    return client(Duration.ofSeconds(30));
  }

  /** A client whose calls time out after {@code timeout}; the caller closes it. */
  ConvexClient client(Duration timeout) {
    return client(timeout, 4);
  }

  /**
   * A client whose calls time out after {@code timeout}, with up to {@code connections} calls at
   * once; the caller closes it.
   */
  ConvexClient client(Duration timeout, int connections) {
    String u = urlOrNull();
    if (u == null) {
      throw new UserFacingException("give --convex-url (or set CONVEX_URL)");
    }
    Secret k = key();
    try {
      return new ConvexClient(u, k, timeout, Duration.ofSeconds(10), connections);
    } catch (IllegalArgumentException e) {
      throw new UserFacingException("--convex-url " + u + " is not an http(s) URL");
    }
  }
}
