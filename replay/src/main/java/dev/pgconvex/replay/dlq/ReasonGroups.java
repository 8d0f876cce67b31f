package dev.pgconvex.replay.dlq;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Groups dead letters by reason. Reasons name the row they are about (values, keys, offsets,
 * sizes); the group is the reason with those replaced ({@code 'x'} to {@code '…'}, a key {@code
 * [7]} to {@code […]}, numbers to {@code N}), so the same problem of many rows is one group.
 * Stateless.
 */
public final class ReasonGroups {
  private static final Pattern QUOTED = Pattern.compile("'[^']*'");
  private static final Pattern DOUBLE_QUOTED = Pattern.compile("\"[^\"]*\"");
  private static final Pattern KEY = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern NUMBER = Pattern.compile("\\b\\d+\\b");

  private ReasonGroups() {}

  /** One group: the pattern and its dead letters, oldest first. */
  public record Group(String stage, String reason, List<DeadLetterEntry> entries) {
    public int count() {
      return entries.size();
    }
  }

  /** The pattern of a reason. */
  public static String pattern(String reason) {
    if (reason == null) {
      return "(no reason)";
    }
    String r = QUOTED.matcher(reason).replaceAll("'…'");
    r = DOUBLE_QUOTED.matcher(r).replaceAll("\"…\"");
    r = KEY.matcher(r).replaceAll("[…]");
    return NUMBER.matcher(r).replaceAll("N");
  }

  /** Groups by stage and pattern, the largest group first (ties: the first seen first). */
  public static List<Group> group(List<DeadLetterEntry> entries) {
    Map<String, Group> groups = new LinkedHashMap<>();
    for (DeadLetterEntry e : entries) {
      String stage = e.letter().stage() == null ? "unknown" : e.letter().stage();
      String p = pattern(e.letter().reason());
      groups
          .computeIfAbsent(stage + "\u0000" + p, k -> new Group(stage, p, new ArrayList<>()))
          .entries()
          .add(e);
    }
    List<Group> out = new ArrayList<>(groups.values());
    out.sort((a, b) -> Integer.compare(b.count(), a.count()));
    return out;
  }
}
