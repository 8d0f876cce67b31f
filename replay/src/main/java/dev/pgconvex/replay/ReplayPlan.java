package dev.pgconvex.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a replay does, computed before anything is changed, so {@code --dry-run} prints exactly what
 * {@code --execute} then carries out ({@link #render()}).
 *
 * @param stage {@code sink} or {@code transformer}
 * @param group the consumer group (the Streams application id for the transformer)
 * @param target the target as typed
 * @param moves per partition: current and target offset, records to read again
 * @param steps the other changes, in order (internal topics, local state, copies), as sentences
 * @param notes what the user should know (retention, what is not replayed)
 */
public record ReplayPlan(
    String stage,
    String group,
    String target,
    List<PartitionMove> moves,
    List<String> steps,
    List<String> notes) {

  public ReplayPlan {
    moves = List.copyOf(moves);
    steps = List.copyOf(steps);
    notes = List.copyOf(notes);
  }

  /** Records read again over all partitions. */
  public long totalReread() {
    return moves.stream().mapToLong(PartitionMove::reread).sum();
  }

  /** The plan as lines: a header, one line per partition, the steps and the notes. */
  public List<String> render() {
    List<String> out = new ArrayList<>();
    out.add("replay of the " + stage + " (group " + group + ") " + target);
    int width = "TOPIC:PARTITION".length();
    for (PartitionMove m : moves) {
      width = Math.max(width, m.name().length());
    }
    out.add(
        String.format(
            Locale.ROOT,
            "%-" + width + "s %12s %12s %12s %12s",
            "TOPIC:PARTITION",
            "CURRENT",
            "TARGET",
            "RE-READ",
            "LOG-START"));
    for (PartitionMove m : moves) {
      out.add(
          String.format(
              Locale.ROOT,
              "%-" + width + "s %12s %12d %12d %12d",
              m.name(),
              m.current() < 0 ? "-" : Long.toString(m.current()),
              m.target(),
              m.reread(),
              m.logStart()));
    }
    out.add(String.format(Locale.ROOT, "records to re-read: %,d", totalReread()));
    for (String s : steps) {
      out.add("step: " + s);
    }
    for (String n : notes) {
      out.add("note: " + n);
    }
    return out;
  }
}
