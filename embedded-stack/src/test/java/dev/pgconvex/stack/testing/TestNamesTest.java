package dev.pgconvex.stack.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TestNamesTest {
  @Test
  void namesAreSafeAndLowerCase() {
    assertThat(TestNames.unique("Orders-IT.sink")).matches("orders_it_sink_\\d+_[a-z0-9]+");
    assertThat(TestNames.unique("9lives")).startsWith("t9lives_");
    assertThat(TestNames.unique(null)).matches("t_\\d+_[a-z0-9]+");
    assertThat(TestNames.unique("")).matches("t_\\d+_[a-z0-9]+");
    assertThat(TestNames.unique("Ünïcode")).matches("t?_n_code_\\d+_[a-z0-9]+");
  }

  @Test
  void longPrefixesAreCutTo63Characters() {
    String name = TestNames.unique("x".repeat(200));
    assertThat(name).hasSizeLessThanOrEqualTo(63).startsWith("xxxx").matches("[a-z0-9_]+");
  }

  @Test
  void namesAreUnique() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      assertThat(seen.add(TestNames.unique("same"))).isTrue();
    }
  }
}
