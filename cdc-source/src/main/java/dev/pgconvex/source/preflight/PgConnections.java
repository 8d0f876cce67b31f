package dev.pgconvex.source.preflight;

import dev.pgconvex.source.config.SourceSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opens plain JDBC connections to the captured database. Stateless; thread-safe. */
public final class PgConnections {
  private PgConnections() {}

  /**
   * Opens a connection with short timeouts.
   *
   * @param applicationName shown in {@code pg_stat_activity}
   * @throws SourceUnavailableException when Postgres cannot be reached or refuses the login (the
   *     message names URL and user, never the password)
   */
  public static Connection open(SourceSettings settings, String applicationName) {
    Properties props = new Properties();
    props.setProperty("user", settings.user());
    if (!settings.password().isEmpty()) {
      props.setProperty("password", settings.password().reveal());
    }
    props.setProperty("ApplicationName", applicationName);
    props.setProperty("connectTimeout", "10");
    props.setProperty("socketTimeout", "60");
    try {
      return DriverManager.getConnection(settings.jdbcUrl().url(), props);
    } catch (SQLException e) {
      throw new SourceUnavailableException(
          "Cannot connect to "
              + settings.jdbcUrl().url()
              + " as '"
              + settings.user()
              + "' (SQLState "
              + e.getSQLState()
              + "): "
              + e.getMessage(),
          e);
    }
  }
}
