package dev.pgconvex.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of processes, for benchmarks that quote CPU per row: on a shared 2-core machine the CPU
 * a component spent is a stable figure where its rows per second is not. Reads Linux's {@code
 * /proc/<pid>/stat}; where there is no {@code /proc}, every figure is -1 (unknown), never a guess.
 */
public final class ProcessCpu {
  private static final Path PROC = Path.of("/proc");

  /** Clock ticks per second of {@code /proc}'s times: 100 on every Linux this runs on. */
  private static final long TICKS_PER_SEC = 100;

  private ProcessCpu() {}

  /** CPU time of this JVM (every thread), in nanoseconds, or -1. */
  public static long jvmNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /**
   * CPU time of process {@code pid} and of its children: those it has waited for (the kernel's
   * cumulative child times, e.g. Postgres backends that ended) and those still running. In
   * nanoseconds, or -1 when the process is not readable.
   */
  public static long treeNanos(long pid) {
    long[] own = times(pid);
    if (own == null) {
      return -1;
    }
    long ticks = own[0] + own[1] + own[2] + own[3];
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path p : procs) {
        long child = Long.parseLong(p.getFileName().toString());
        long[] t = child == pid ? null : times(child);
        if (t != null && t[4] == pid) {
          ticks += t[0] + t[1];
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return ticks * (1_000_000_000L / TICKS_PER_SEC);
  }

  /** utime, stime, cutime, cstime, ppid of {@code pid}, or null. */
  private static long[] times(long pid) {
    String stat;
    try {
      stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
    // The command (field 2) is in parentheses and may hold spaces: split after its last ')'.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
    return new long[] {
      Long.parseLong(f[11]),
      Long.parseLong(f[12]),
      Long.parseLong(f[13]),
      Long.parseLong(f[14]),
      Long.parseLong(f[1])
    };
  }

  /**
   * CPU time of this JVM's own native threads, in nanoseconds: {@code [gc, jit]}, the garbage
   * collector's threads and the JIT compiler's (by their kernel names, {@code /proc/self/task}).
   * {@code {-1, -1}} without {@code /proc}.
   */
  public static long[] jvmServiceNanos() {
    long gc = 0;
    long jit = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve("self/task"))) {
      for (Path t : tasks) {
        String comm;
        long[] times;
        try {
          comm = Files.readString(t.resolve("comm")).trim();
          String stat = Files.readString(t.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          times = new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
        } catch (IOException | RuntimeException e) {
          continue; // the thread ended meanwhile
        }
        long ticks = times[0] + times[1];
        if (comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.startsWith("GC ")) {
          gc += ticks;
        } else if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
          jit += ticks;
        }
      }
    } catch (IOException e) {
      return new long[] {-1, -1};
    }
    long perTick = 1_000_000_000L / TICKS_PER_SEC;
    return new long[] {gc * perTick, jit * perTick};
  }

  /** The postmaster's pid from its data directory's {@code postmaster.pid}, or -1. */
  public static long postmasterPid(Path dataDirectory) {
    try {
      String first = Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim();
      return Long.parseLong(first);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
