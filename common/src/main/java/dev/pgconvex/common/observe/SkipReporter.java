package dev.pgconvex.common.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * Reports records a stage skips or sends to the dead-letter topic, so none is dropped silently
 * (docs/skip-points.md): every skip increments the counter {@code <name>{table, reason}} and the
 * first skip of each (table, reason) is logged at WARN with a message that names the table and the
 * fix; later ones are logged at DEBUG only, so a bad column in a million rows does not flood the
 * log while the counter still tells how many.
 *
 * <p>{@code reason} is a short lower-case word ({@code truncate}, {@code bad_value}...): it is a
 * metric tag, so it must come from a small fixed set, never from record data. Thread-safe.
 */
public final class SkipReporter {
  private final MeterRegistry registry;
  private final String name;
  private final String description;
  private final Logger log;
  private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
  private final Set<Key> warned = ConcurrentHashMap.newKeySet();

  private record Key(String table, String reason) {}

  /**
   * @param registry where the counter goes
   * @param name the counter's name, {@code pgconvex.<stage>.<thing>} (Prometheus {@code
   *     pgconvex_<stage>_<thing>_total})
   * @param description the counter's description
   * @param log the logger of the stage's class that skips
   */
  public SkipReporter(MeterRegistry registry, String name, String description, Logger log) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.name = Objects.requireNonNull(name, "name");
    this.description = Objects.requireNonNull(description, "description");
    this.log = Objects.requireNonNull(log, "log");
  }

  /**
   * Counts one skipped record and warns if it is the first of its (table, reason).
   *
   * @param table the table the record belongs to (as the stage's other metrics name it)
   * @param reason a short word from a fixed set
   * @param message what was skipped, naming the table and the fix; built only when logged
   * @return true when this call logged the warning
   */
  public boolean skip(String table, String reason, Supplier<String> message) {
    Key key = new Key(table == null ? "unknown" : table, reason);
    counters
        .computeIfAbsent(
            key,
            k ->
                Counter.builder(name)
                    .description(description)
                    .tag("table", k.table())
                    .tag("reason", k.reason())
                    .register(registry))
        .increment();
    if (warned.add(key)) {
      log.warn(
          // SLF4J has no escape for braces: only "{}" is a placeholder, a lone brace prints.
          "{} [counted in {}{table=\"{}\",reason=\"{}\"}; further ones are logged at DEBUG]",
          message.get(),
          prometheusName(),
          key.table(),
          key.reason());
      return true;
    }
    if (log.isDebugEnabled()) {
      log.debug("{}", message.get());
    }
    return false;
  }

  /** As {@link #skip(String, String, Supplier)} with a message already built. */
  public boolean skip(String table, String reason, String message) {
    return skip(table, reason, () -> message);
  }

  /** Skips counted for (table, reason) since start. */
  public long count(String table, String reason) {
    Counter c = counters.get(new Key(table, reason));
    return c == null ? 0 : (long) c.count();
  }

  /** Skips counted since start, all tables and reasons. */
  public long total() {
    return (long) counters.values().stream().mapToDouble(Counter::count).sum();
  }

  /** The counter's Prometheus name ({@code pgconvex_sink_dead_letters_total}). */
  public String prometheusName() {
    return name.replace('.', '_') + "_total";
  }
}
