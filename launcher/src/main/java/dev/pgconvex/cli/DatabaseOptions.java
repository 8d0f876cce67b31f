package dev.pgconvex.cli;

import dev.pgconvex.common.config.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * How a tool command reaches the source database ({@code schema}, {@code resync}, {@code verify}):
 * {@code --pg-url}, {@code --pg-user} and the password from {@code --pg-password-file} or {@code
 * PG_PASSWORD}, never from the command line. One definition, so the commands cannot drift.
 */
final class DatabaseOptions {
  @Option(
      names = "--pg-url",
      required = true,
      paramLabel = "URL",
      description = "JDBC URL of the source database, e.g. jdbc:postgresql://host:5432/app")
  String url;

  @Option(
      names = "--pg-user",
      paramLabel = "USER",
      defaultValue = "${env:PG_USER:-postgres}",
      description = "Postgres user (default: env PG_USER, else postgres)")
  String user;

  @Option(
      names = "--pg-password-file",
      paramLabel = "FILE",
      description = "File holding the password (default: env PG_PASSWORD)")
  Path passwordFile;

  /** The password: the file's content, else {@code PG_PASSWORD}, else empty. */
  Secret password() {
    if (passwordFile != null) {
      try {
        return new Secret(Files.readString(passwordFile, StandardCharsets.UTF_8).strip());
      } catch (IOException e) {
        throw new UserFacingException(
            "cannot read --pg-password-file "
                + passwordFile
                + " ("
                + e.getClass().getSimpleName()
                + "): give a readable file, or set PG_PASSWORD");
      }
    }
    String env = System.getenv("PG_PASSWORD");
    return new Secret(env == null ? "" : env);
  }

  /**
   * JDBC properties: user, password (when there is one) and the application name Postgres shows.
   */
  Properties properties(String applicationName) {
    Properties p = new Properties();
    p.setProperty("user", user);
    Secret password = password();
    if (!password.isEmpty()) {
      p.setProperty("password", password.reveal());
    }
    p.setProperty("ApplicationName", applicationName);
    p.setProperty("connectTimeout", "10");
    return p;
  }

  /** A new connection; the caller closes it. */
  Connection connect(String applicationName) throws SQLException {
    return DriverManager.getConnection(url, properties(applicationName));
  }
}
