package dev.pgconvex.source.engine;

import dev.pgconvex.source.config.SourceSettings;
import dev.pgconvex.source.config.TableId;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the change events Debezium drops before they reach the source: those of tables outside
 * its include list ({@code NumberOfEventsFiltered} of the streaming metrics MBean {@code
 * debezium.postgres:type=connector-metrics,context=streaming,server=<topic.prefix>}). They arrive
 * when the publication holds more tables than {@code source.tables}: altered while the source runs,
 * or made by hand with {@code debezium.publication.autocreate.mode} overridden.
 *
 * <p>Exposed as {@code pgconvex_source_events_filtered_total} and {@code
 * pgconvex_source_events_erroneous_total} (events Debezium could not process; the engine then
 * fails). When the filtered count moves, the publication's tables the source does not capture are
 * looked up and each is named once in a warning with the fix. {@link #poll} runs on the slot
 * monitor's thread; the meters read from any thread.
 */
public final class FilteredEvents {
  private static final Logger log = LoggerFactory.getLogger(FilteredEvents.class);

  private final SourceSettings settings;
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private final ObjectName pattern;
  private final AtomicLong filtered = new AtomicLong();
  private final AtomicLong erroneous = new AtomicLong();
  private final Set<String> warned = new HashSet<>(); // poll thread only
  private long lastFiltered; // poll thread only
  private long lastErroneous; // poll thread only

  /** Registers the meters; reads nothing yet. */
  public FilteredEvents(SourceSettings settings, MeterRegistry registry) {
    this.settings = settings;
    try {
      this.pattern =
          new ObjectName(
              "debezium.postgres:type=connector-metrics,context=streaming,server="
                  + settings.topics().prefix()
                  + ",*");
    } catch (JMException e) {
      throw new IllegalArgumentException(
          "cdc.topic.prefix " + settings.topics().prefix() + " cannot name a JMX bean", e);
    }
    FunctionCounter.builder("pgconvex.source.events.filtered", filtered, AtomicLong::get)
        .description(
            "Change events Debezium dropped because their table is not in source.tables (the"
                + " publication holds more tables than the source captures)")
        .register(registry);
    FunctionCounter.builder("pgconvex.source.events.erroneous", erroneous, AtomicLong::get)
        .description("Change events Debezium could not process")
        .register(registry);
  }

  /** Events Debezium filtered out since the engine started (as of the last poll). */
  public long filtered() {
    return filtered.get();
  }

  /**
   * Reads Debezium's counters; when the filtered count moved, names the publication's uncaptured
   * tables (once each) in a warning. Never throws: a failed lookup is logged.
   *
   * @param c a connection to the source database, for the publication's table list
   */
  void poll(Connection c) {
    long f = read("NumberOfEventsFiltered");
    long e = read("NumberOfErroneousEvents");
    filtered.accumulateAndGet(f, Math::max);
    erroneous.accumulateAndGet(e, Math::max);
    if (e > lastErroneous) {
      log.warn(
          "Debezium could not process {} change event(s) (pgconvex_source_events_erroneous_total);"
              + " see Debezium's error above: the source stops on them",
          e - lastErroneous);
      lastErroneous = e;
    }
    if (f <= lastFiltered) {
      return;
    }
    long moved = f - lastFiltered;
    lastFiltered = f;
    List<String> uncaptured;
    try {
      uncaptured = uncapturedPublicationTables(c);
    } catch (SQLException ex) {
      log.warn(
          "Debezium dropped {} change event(s) of tables not in source.tables; listing the tables"
              + " of publication '{}' failed: {}",
          moved,
          settings.publicationName(),
          ex.toString());
      return;
    }
    // Each uncaptured table is named in one warning; "" stands for "none found".
    List<String> keys = uncaptured.isEmpty() ? List.of("") : uncaptured;
    if (keys.stream().filter(warned::add).count() > 0) {
      log.warn("{}", message(moved, f, uncaptured));
    } else {
      log.debug("{}", message(moved, f, uncaptured));
    }
  }

  private String message(long moved, long total, List<String> uncaptured) {
    String pub = settings.publicationName();
    String head =
        "Debezium dropped "
            + moved
            + " change event(s) ("
            + total
            + " since start, pgconvex_source_events_filtered_total) of tables the source does not"
            + " capture: they are not mirrored. ";
    if (uncaptured.isEmpty()) {
      return head
          + "Publication '"
          + pub
          + "' publishes no such table now (altered since?); if it did, add the table to"
          + " source.tables or remove it from the publication.";
    }
    return head
        + "Publication '"
        + pub
        + "' publishes "
        + String.join(", ", uncaptured)
        + ", which source.tables does not list: to mirror them add them to source.tables and"
        + " the mapping (./cdc schema generate) and restart, otherwise remove them from the"
        + " publication (ALTER PUBLICATION \""
        + pub
        + "\" DROP TABLE "
        + uncaptured.stream().collect(Collectors.joining(", "))
        + "; a FOR ALL TABLES publication must be dropped and created FOR TABLE).";
  }

  /** The publication's tables that are neither captured nor the source's own, sorted. */
  public List<String> uncapturedPublicationTables(Connection c) throws SQLException {
    Set<String> captured =
        Stream.concat(
                settings.tables().stream(),
                Stream.of(settings.heartbeatTable(), settings.signalTable()))
            .map(TableId::toString)
            .collect(Collectors.toSet());
    Set<String> out = new TreeSet<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
      ps.setString(1, settings.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String t = rs.getString(1) + "." + rs.getString(2);
          if (!captured.contains(t)) {
            out.add(t);
          }
        }
      }
    }
    return List.copyOf(out);
  }

  /** The attribute of the streaming metrics bean; 0 while the bean is not registered. */
  private long read(String attribute) {
    try {
      for (ObjectName name : server.queryNames(pattern, null)) {
        Object v = server.getAttribute(name, attribute);
        if (v instanceof Number n) {
          return n.longValue();
        }
      }
    } catch (JMException | RuntimeException e) {
      log.debug("Cannot read Debezium's {}: {}", attribute, e.toString());
    }
    return 0;
  }
}
