package dev.pgconvex.cutover;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The steps of a cutover as they happen: {@link #begin} a step, then {@link #end} it; each ended
 * step is also handed to a listener (the command prints it at once). Not thread-safe.
 */
public final class Timeline {
  private final LongSupplier nanos;
  private final Consumer<Step> listener;
  private final List<Step> steps = new ArrayList<>();
  private String current;
  private long startedAt;

  /**
   * @param nanos a monotonic clock ({@code System::nanoTime})
   * @param listener told of each step when it ends
   */
  public Timeline(LongSupplier nanos, Consumer<Step> listener) {
    this.nanos = nanos;
    this.listener = listener;
  }

  /** Starts {@code name}; a step still open is ended as cancelled first. */
  public void begin(String name) {
    if (current != null) {
      end(Step.Outcome.CANCELLED, "not finished");
    }
    current = name;
    startedAt = nanos.getAsLong();
  }

  /** Ends the open step (nothing when none is open). */
  public Step end(Step.Outcome outcome, String detail) {
    if (current == null) {
      return null;
    }
    Step s = new Step(current, (nanos.getAsLong() - startedAt) / 1_000_000, outcome, detail);
    current = null;
    steps.add(s);
    listener.accept(s);
    return s;
  }

  /** The open step's name, or null. */
  public String current() {
    return current;
  }

  /** The ended steps, in order. */
  public List<Step> steps() {
    return List.copyOf(steps);
  }
}
