package dev.pgconvex.dashboard;

import java.util.Locale;

/**
 * Figures for people, as the page shows them: {@code 1,234}, {@code 12.3k}, {@code 1.2M}; {@code
 * 1.2k/s}; {@code 350 ms}, {@code 2.1 s}, {@code 3 min}, {@code 2.0 h}; {@code 12 MiB}; {@code 2
 * min ago}. Stateless.
 */
public final class Human {
  private Human() {}

  /** A count: exact below 10,000, then 12.3k, 1.2M, 3.4G. */
  public static String count(long n) {
    long a = Math.abs(n);
    if (a < 10_000) {
      return String.format(Locale.ROOT, "%,d", n);
    }
    if (a < 999_950) {
      return String.format(Locale.ROOT, "%.1fk", n / 1e3);
    }
    if (a < 999_950_000) {
      return String.format(Locale.ROOT, "%.1fM", n / 1e6);
    }
    return String.format(Locale.ROOT, "%.1fG", n / 1e9);
  }

  /** A rate per second: {@code 0/s}, {@code 0.4/s}, {@code 35/s}, {@code 1.2k/s}. */
  public static String rate(double perSecond) {
    if (perSecond <= 0 || Double.isNaN(perSecond)) {
      return "0/s";
    }
    if (perSecond < 10) {
      return String.format(Locale.ROOT, "%.1f/s", perSecond);
    }
    if (perSecond < 1000) {
      return String.format(Locale.ROOT, "%d/s", Math.round(perSecond));
    }
    if (perSecond < 999_950) {
      return String.format(Locale.ROOT, "%.1fk/s", perSecond / 1e3);
    }
    return String.format(Locale.ROOT, "%.1fM/s", perSecond / 1e6);
  }

  /** A duration: {@code 350 ms}, {@code 2.1 s}, {@code 3 min}, {@code 2.5 h}, {@code 3 d}. */
  public static String millis(long ms) {
    if (ms < 0) {
      return "–";
    }
    if (ms < 1000) {
      return ms + " ms";
    }
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    if (ms < 3_600_000) {
      return (ms / 60_000) + " min";
    }
    if (ms < 86_400_000) {
      return String.format(Locale.ROOT, "%.1f h", ms / 3_600_000.0);
    }
    return (ms / 86_400_000) + " d";
  }

  /** Bytes: {@code 512 B}, {@code 12.0 KiB}, {@code 3.4 MiB}, {@code 1.1 GiB}. */
  public static String bytes(long b) {
    if (b < 0) {
      return "unknown";
    }
    if (b < 1024) {
      return b + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = b;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** How long ago {@code atMs} was: {@code just now}, {@code 12 s ago}, {@code 2 min ago}. */
  public static String ago(long atMs, long nowMs) {
    long d = Math.max(0, nowMs - atMs);
    if (d < 1000) {
      return "just now";
    }
    if (d < 60_000) {
      return (d / 1000) + " s ago";
    }
    if (d < 3_600_000) {
      return (d / 60_000) + " min ago";
    }
    if (d < 86_400_000) {
      return (d / 3_600_000) + " h ago";
    }
    return (d / 86_400_000) + " d ago";
  }
}
