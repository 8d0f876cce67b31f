package dev.pgconvex.sink.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AimdLimiterTest {
  final AtomicLong clock = new AtomicLong(1_000_000_000L);
  final AimdLimiter limiter = new AimdLimiter(8, Duration.ofMillis(200), clock::get);

  @Test
  void permitsUpToTheLimit() {
    for (int i = 0; i < 8; i++) {
      assertThat(limiter.tryAcquire()).isTrue();
    }
    assertThat(limiter.tryAcquire()).isFalse();
    limiter.release();
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(8);
  }

  @Test
  void rateLimitHalvesOncePerIntervalAndNeverBelowOne() {
    limiter.onRateLimited(null);
    assertThat(limiter.limit()).isEqualTo(4.0);
    limiter.onRateLimited(null); // same wave of 429s: no second decrease
    assertThat(limiter.limit()).isEqualTo(4.0);
    clock.addAndGet(Duration.ofMillis(200).toNanos());
    limiter.onRateLimited(null);
    assertThat(limiter.limit()).isEqualTo(2.0);
    for (int i = 0; i < 5; i++) {
      clock.addAndGet(Duration.ofMillis(200).toNanos());
      limiter.onRateLimited(null);
    }
    assertThat(limiter.limit()).isEqualTo(1.0);
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isFalse();
  }

  @Test
  void successesIncreaseAdditivelyUpToTheMax() {
    limiter.onRateLimited(null);
    assertThat(limiter.limit()).isEqualTo(4.0);
    // About one more permit per round of `limit` successes.
    for (int i = 0; i < 4; i++) {
      limiter.onSuccess();
    }
    assertThat(limiter.limit()).isBetween(4.9, 5.0);
    for (int i = 0; i < 1000; i++) {
      limiter.onSuccess();
    }
    assertThat(limiter.limit()).isEqualTo(8.0);
  }

  @Test
  void retryAfterBlocksNewSendsUntilItPasses() {
    limiter.onRateLimited(Duration.ofSeconds(2));
    assertThat(limiter.blockedNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
    assertThat(limiter.tryAcquire()).isFalse();
    clock.addAndGet(Duration.ofMillis(1999).toNanos());
    assertThat(limiter.tryAcquire()).isFalse();
    clock.addAndGet(Duration.ofMillis(1).toNanos());
    assertThat(limiter.blockedNanos()).isZero();
    assertThat(limiter.tryAcquire()).isTrue();
  }

  @Test
  void aimdConvergesNearTheServersCapacity() {
    // Simulated server: accepts at most 5 concurrent mutations, 429 beyond.
    AimdLimiter l = new AimdLimiter(16, Duration.ZERO, clock::get);
    int rateLimited = 0;
    for (int round = 0; round < 200; round++) {
      int sent = 0;
      while (l.tryAcquire()) {
        sent++;
      }
      for (int i = 0; i < sent; i++) {
        if (i < 5) {
          l.onSuccess();
        } else {
          rateLimited++;
          l.onRateLimited(null);
          clock.addAndGet(1);
          break;
        }
      }
      for (int i = 0; i < sent; i++) {
        l.release();
      }
    }
    assertThat(l.limit()).isBetween(2.0, 7.0);
    assertThat(rateLimited).isLessThan(80); // a 429 every few rounds, not a storm
  }
}
