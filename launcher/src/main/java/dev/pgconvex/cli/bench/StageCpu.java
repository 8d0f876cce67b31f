package dev.pgconvex.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time per pipeline component over a phase of a benchmark that runs the whole pipeline in one
 * JVM: each live thread's CPU time is attributed to a component by its name (the stages name their
 * threads and their Kafka clients' threads by client id) or, for pooled threads, by the packages on
 * its stack; the collector's and the compiler's native threads are {@link Component#GC} and {@link
 * Component#JIT}; what is left of the process's CPU (other native threads, threads that ended
 * during the phase) is {@link Component#JVM}. Postgres and the emulator are processes of their own,
 * read from {@code /proc} ({@link ProcessCpu}). Not thread-safe; one phase at a time.
 */
public final class StageCpu {
  /** Where CPU time goes. */
  public enum Component {
    SOURCE("source"),
    TRANSFORMER("transformer"),
    SINK("sink"),
    BROKER("broker"),
    /** The garbage collector's threads. */
    GC("gc"),
    /** The JIT compiler's threads. */
    JIT("jit"),
    /** The rest of the JVM: other native threads, threads that ended during the phase. */
    JVM("jvm"),
    POSTGRES("postgres"),
    EMULATOR("emulator");

    final String json;

    Component(String json) {
      this.json = json;
    }
  }

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final long postgresPid;
  private final java.util.function.LongSupplier emulatorPid;
  private Map<Long, Long> threadStart;
  private long processStart;
  private long[] serviceStart;
  private long postgresStart;
  private long emulatorStart;

  /**
   * @param postgresPid the postmaster, or -1
   * @param emulatorPid the emulator's node process, -1 while it is not started (a process started
   *     during the phase counts from its start)
   */
  public StageCpu(long postgresPid, java.util.function.LongSupplier emulatorPid) {
    this.postgresPid = postgresPid;
    this.emulatorPid = emulatorPid;
    if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled()) {
      threads.setThreadCpuTimeEnabled(true);
    }
  }

  /** Starts a phase. */
  public void start() {
    threadStart = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long t = threads.getThreadCpuTime(id);
      if (t >= 0) {
        threadStart.put(id, t);
      }
    }
    processStart = ProcessCpu.jvmNanos();
    serviceStart = ProcessCpu.jvmServiceNanos();
    postgresStart = ProcessCpu.treeNanos(postgresPid);
    long pid = emulatorPid.getAsLong();
    emulatorStart = pid < 0 ? 0 : ProcessCpu.treeNanos(pid);
  }

  /** Ends the phase: CPU nanoseconds per component since {@link #start} (-1: unknown). */
  public Map<Component, Long> stop() {
    Map<Component, Long> out = new EnumMap<>(Component.class);
    for (Component c : Component.values()) {
      out.put(c, 0L);
    }
    long attributed = 0;
    long[] ids = threads.getAllThreadIds();
    ThreadInfo[] infos = threads.getThreadInfo(ids, 40);
    for (int i = 0; i < ids.length; i++) {
      long now = threads.getThreadCpuTime(ids[i]);
      if (now < 0 || infos[i] == null) {
        continue;
      }
      long used = now - threadStart.getOrDefault(ids[i], 0L);
      Component c = classify(infos[i]);
      out.merge(c, used, Long::sum);
      attributed += used;
    }
    long process = ProcessCpu.jvmNanos();
    long[] service = ProcessCpu.jvmServiceNanos();
    long gc = service[0] < 0 || serviceStart[0] < 0 ? 0 : service[0] - serviceStart[0];
    long jit = service[1] < 0 || serviceStart[1] < 0 ? 0 : service[1] - serviceStart[1];
    out.put(Component.GC, gc);
    out.put(Component.JIT, jit);
    out.merge(
        Component.JVM, Math.max(0, process - processStart - attributed - gc - jit), Long::sum);
    out.put(Component.POSTGRES, delta(ProcessCpu.treeNanos(postgresPid), postgresStart));
    out.put(
        Component.EMULATOR, delta(ProcessCpu.treeNanos(emulatorPid.getAsLong()), emulatorStart));
    return out;
  }

  /** {@code {source: µs, ...}} per row, one decimal; -1 for unknown. */
  public static ObjectNode perRowJson(Map<Component, Long> nanos, long rows) {
    ObjectNode o = Json.NODES.objectNode();
    long total = 0;
    for (Map.Entry<Component, Long> e : nanos.entrySet()) {
      long v = e.getValue();
      o.put(e.getKey().json, v < 0 || rows == 0 ? -1 : Math.round(v / 100.0 / rows) / 10.0);
      total += Math.max(0, v);
    }
    o.put("total", rows == 0 ? -1 : Math.round(total / 100.0 / rows) / 10.0);
    return o;
  }

  private static long delta(long now, long start) {
    return now < 0 || start < 0 ? -1 : now - start;
  }

  /** The component a thread works for, by its name or, for a pooled thread, its stack. */
  static Component classify(ThreadInfo info) {
    String n = info.getThreadName();
    Component byName = byName(n);
    if (byName != null) {
      return byName;
    }
    for (StackTraceElement e : info.getStackTrace()) {
      String cls = e.getClassName();
      if (cls.startsWith("io.debezium") || cls.startsWith("dev.pgconvex.source")) {
        return Component.SOURCE;
      }
      if (cls.startsWith("dev.pgconvex.transformer")
          || cls.startsWith("org.apache.kafka.streams")) {
        return Component.TRANSFORMER;
      }
      if (cls.startsWith("dev.pgconvex.sink")) {
        return Component.SINK;
      }
      if (cls.startsWith("kafka.") || cls.startsWith("org.apache.kafka.server")) {
        return Component.BROKER;
      }
    }
    return Component.JVM;
  }

  static Component byName(String n) {
    // Kafka clients name their threads "<kind> | <client.id>": the client id says whose.
    int bar = n.indexOf(" | ");
    String owner = bar < 0 ? n : n.substring(bar + 3);
    // The stages' ids are "<prefix>-transformer...", "<prefix>-sink...", "<prefix>-source...".
    if (owner.contains("-transformer") || owner.equals("pgconvex-mapping-watch")) {
      return Component.TRANSFORMER;
    }
    if (owner.contains("-sink") || owner.equals("pgconvex-convex-http")) {
      return Component.SINK;
    }
    if (owner.contains("-source") || owner.startsWith("debezium")) {
      return Component.SOURCE;
    }
    if (bar >= 0) {
      return null; // another Kafka client: look at its stack
    }
    if (n.startsWith("data-plane-")
        || n.startsWith("kafka-")
        || n.startsWith("broker-")
        || n.startsWith("controller-")
        || n.startsWith("quorum-controller")
        || n.startsWith("group-coordinator")
        || n.startsWith("share-")
        || n.startsWith("raft-")
        || n.startsWith("ExpirationReaper-")
        || n.startsWith("TxnMarkerSenderThread")
        || n.startsWith("AddPartitionsToTxnSenderThread")
        || n.startsWith("transaction-log-manager")
        || n.startsWith("LogDirFailureHandler")
        || n.startsWith("PersisterStateManager")) {
      return Component.BROKER;
    }
    return null;
  }
}
