package dev.pgconvex.source.preflight;

import dev.pgconvex.common.kafka.KafkaClients;
import dev.pgconvex.common.kafka.LineageTopic;
import dev.pgconvex.common.lineage.SourceIdentity;
import dev.pgconvex.source.config.SourceSettings;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the source from mixing lineages: the first start records the identity of the database it
 * captures in {@code <prefix>.lineage}; every later start compares. A different cluster or database
 * behind the same Kafka state (a re-created test database, a staging refresh, another server) would
 * make the new snapshot's reads lose to positions of the other database, and ids and held rows of
 * the other one would be reused: the source stops before writing anything and names {@code ./cdc
 * reset}. Stateless; thread-safe.
 */
public final class SourceLineage {
  private static final Logger log = LoggerFactory.getLogger(SourceLineage.class);

  private SourceLineage() {}

  /**
   * What Kafka recorded and what the database is.
   *
   * @param actual the identity of the connected database
   * @param recorded the identity in {@code <prefix>.lineage}, if any
   */
  public record Claim(SourceIdentity actual, Optional<SourceIdentity> recorded) {
    /** The problem when the Kafka state belongs to another database; empty when it does not. */
    public List<String> problems(String prefix) {
      return recorded.isPresent() && !recorded.get().equals(actual)
          ? List.of(PreflightProblems.otherLineage(prefix, recorded.get(), actual))
          : List.of();
    }
  }

  /**
   * Reads both identities; writes nothing.
   *
   * @throws SourceUnavailableException when Postgres or Kafka cannot be reached
   */
  public static Claim inspect(SourceSettings s, Admin admin) {
    SourceIdentity actual;
    try (Connection c = PgConnections.open(s, "pgconvex-source-lineage")) {
      actual = identify(c, s);
    } catch (SQLException e) {
      throw new SourceUnavailableException(
          "Cannot read the system identifier of " + s.jdbcUrl().url() + ": " + e.getMessage(), e);
    }
    try {
      LineageTopic topic = topic(s);
      topic.ensure(admin, s.replicationFactor());
      return new Claim(actual, topic.source());
    } catch (RuntimeException e) {
      throw new SourceUnavailableException(
          "Cannot read " + s.topics().lineage() + " on " + s.bootstrapServers() + ": " + e, e);
    }
  }

  /**
   * Records the database's identity when Kafka has none (the first start of the pipeline). Call
   * after every check passed.
   */
  public static void record(SourceSettings s, Claim claim) {
    if (claim.recorded().isEmpty()) {
      topic(s).recordSource(claim.actual());
      log.info(
          "Recorded the source of pipeline '{}': {}",
          s.topics().prefix(),
          claim.actual().describe());
    }
  }

  /** The lineage topic of {@code s}, with its Kafka client settings. */
  public static LineageTopic topic(SourceSettings s) {
    return new LineageTopic(
        s.topics().lineage(), KafkaClients.props(s.bootstrapServers(), s.kafkaClientProps()));
  }

  /**
   * The identity of the database {@code c} is connected to. {@code pg_control_system()} may be
   * closed to a non-superuser; the replication protocol's {@code IDENTIFY_SYSTEM}, which every role
   * that may stream can run, answers then.
   */
  static SourceIdentity identify(Connection c, SourceSettings s) throws SQLException {
    String database;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_database()")) {
      rs.next();
      database = rs.getString(1);
    }
    String system;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
      rs.next();
      system = rs.getString(1);
    } catch (SQLException denied) {
      system = identifySystem(s);
    }
    return new SourceIdentity(system, database, s.slotName());
  }

  private static String identifySystem(SourceSettings s) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", s.user());
    if (!s.password().isEmpty()) {
      props.setProperty("password", s.password().reveal());
    }
    props.setProperty("replication", "database");
    props.setProperty("assumeMinServerVersion", "9.4");
    props.setProperty("preferQueryMode", "simple");
    props.setProperty("ApplicationName", "pgconvex-source-lineage");
    try (Connection r = java.sql.DriverManager.getConnection(s.jdbcUrl().url(), props);
        Statement st = r.createStatement();
        ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
