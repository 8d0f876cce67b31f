package dev.pgconvex.replay;

/**
 * A planned replay: what it will do ({@link #plan()}, printed by {@code --dry-run}) and the action
 * that does it ({@link #execute()}). Nothing is changed before {@link #execute()}.
 */
public final class PreparedReplay {
  /** The changes of a replay. */
  @FunctionalInterface
  public interface Action {
    void run() throws Exception;
  }

  private final ReplayPlan plan;
  private final Action action;

  public PreparedReplay(ReplayPlan plan, Action action) {
    this.plan = plan;
    this.action = action;
  }

  public ReplayPlan plan() {
    return plan;
  }

  /** Carries out the plan. */
  public void execute() throws Exception {
    action.run();
  }
}
