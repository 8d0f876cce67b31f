package dev.pgconvex.common.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class SkipReporterTest {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final SkipReporter skips =
      new SkipReporter(
          registry,
          "pgconvex.test.dead.letters",
          "Records sent to the dead-letter topic",
          LoggerFactory.getLogger(SkipReporterTest.class));

  @Test
  void countsPerTableAndReasonAndWarnsOncePerPair() {
    AtomicInteger built = new AtomicInteger();
    assertThat(skips.skip("users", "truncate", "truncate of users; run a resync")).isTrue();
    assertThat(skips.skip("users", "truncate", "again")).isFalse();
    assertThat(skips.skip("users", "bad_value", "users.x: bad; fix the row")).isTrue();
    assertThat(skips.skip("posts", "truncate", "truncate of posts; run a resync")).isTrue();
    assertThat(
            skips.skip(
                "users",
                "truncate",
                () -> {
                  built.incrementAndGet();
                  return "lazy";
                }))
        .isFalse();

    assertThat(skips.count("users", "truncate")).isEqualTo(3);
    assertThat(skips.count("users", "bad_value")).isEqualTo(1);
    assertThat(skips.count("posts", "bad_value")).isZero();
    assertThat(skips.total()).isEqualTo(5);
    // The message of a skip that is not logged is not built (DEBUG is off in tests).
    assertThat(built).hasValue(0);
    assertThat(skips.prometheusName()).isEqualTo("pgconvex_test_dead_letters_total");
    assertThat(registry.scrape())
        .contains("pgconvex_test_dead_letters_total{reason=\"truncate\",table=\"users\"} 3.0")
        .contains("pgconvex_test_dead_letters_total{reason=\"bad_value\",table=\"users\"} 1.0");
  }

  @Test
  void aNullTableIsCountedAsUnknown() {
    skips.skip(null, "not_an_op", "unreadable record; fix the producer");
    assertThat(skips.count("unknown", "not_an_op")).isEqualTo(1);
  }

  @Test
  void concurrentSkipsCountEveryOneAndWarnExactlyOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<Boolean>> calls =
          IntStream.range(0, 400)
              .<Callable<Boolean>>mapToObj(i -> () -> skips.skip("t", "orphan", "orphan of t"))
              .toList();
      long warnings = 0;
      for (Future<Boolean> f : pool.invokeAll(calls)) {
        warnings += f.get() ? 1 : 0;
      }
      assertThat(warnings).isEqualTo(1);
      assertThat(skips.count("t", "orphan")).isEqualTo(400);
    } finally {
      pool.shutdownNow();
    }
  }
}
