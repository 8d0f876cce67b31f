package dev.pgconvex.source.engine;

/**
 * How far the source has got: what Kafka has acknowledged and what the slot has confirmed. Written
 * by the engine's handler thread and the slot monitor, read from any thread.
 */
public final class SourceProgress {
  private volatile long ackedCommitLsn;
  private volatile long lastLsn;
  private volatile long lastSourceTsMs;
  private volatile boolean snapshotRunning;
  private volatile boolean snapshotFinished;
  private volatile long slotLagBytes = -1;
  private volatile long slotConfirmedFlushLsn;
  private volatile String slotWalStatus;
  private volatile Boolean slotActive;
  private volatile long slotLsnChangedAtMs;

  /**
   * The commit LSN of the last transaction whose every change Kafka has acknowledged (0 before the
   * first). Changes committed at or before it are in Kafka; used for "synced" checks.
   */
  public long ackedCommitLsn() {
    return ackedCommitLsn;
  }

  /**
   * The highest change LSN acknowledged by Kafka (snapshot reads: the snapshot's LSN); 0 if none.
   */
  public long lastLsn() {
    return lastLsn;
  }

  /** Source time (epoch ms) of the last acknowledged data change; 0 if none. */
  public long lastSourceTsMs() {
    return lastSourceTsMs;
  }

  /** True while snapshot reads are being acknowledged and the snapshot has not finished. */
  public boolean snapshotRunning() {
    return snapshotRunning && !snapshotFinished;
  }

  /**
   * True once the initial snapshot (if any) is complete and in Kafka: the last snapshot record, or
   * the first streamed record (a change, transaction marker or heartbeat), was acknowledged.
   */
  public boolean snapshotFinished() {
    return snapshotFinished;
  }

  /** Bytes of WAL the slot holds back ({@code -1} until first read). */
  public long slotLagBytes() {
    return slotLagBytes;
  }

  /** The slot's {@code confirmed_flush_lsn} at the last read (0 until first read). */
  public long slotConfirmedFlushLsn() {
    return slotConfirmedFlushLsn;
  }

  /** The slot's {@code wal_status} at the last read, or null. */
  public String slotWalStatus() {
    return slotWalStatus;
  }

  void acked(long lsn, Long commitLsn, long sourceTsMs, SnapshotState snapshot) {
    if (lsn > lastLsn) {
      lastLsn = lsn;
    }
    if (commitLsn != null && commitLsn > ackedCommitLsn) {
      ackedCommitLsn = commitLsn;
    }
    if (sourceTsMs > 0) {
      lastSourceTsMs = sourceTsMs;
    }
    switch (snapshot) {
      case RUNNING -> snapshotRunning = true;
      case LAST, STREAMING -> {
        snapshotRunning = false;
        snapshotFinished = true;
      }
      case UNKNOWN -> {}
    }
  }

  /** Whether a walsender holds the slot at the last read, null until first read. */
  public Boolean slotActive() {
    return slotActive;
  }

  /**
   * How long the slot's confirmed LSN has stood still while the slot holds WAL back (ms); 0 while
   * it holds none (nothing to confirm) or before the first read.
   */
  public long slotLsnUnchangedMs(long nowMs) {
    long since = slotLsnChangedAtMs;
    return since == 0 || slotLagBytes <= 0 ? 0 : Math.max(0, nowMs - since);
  }

  void slot(long lagBytes, long confirmedFlushLsn, String walStatus, boolean active, long nowMs) {
    // An LSN that moves, or nothing left to confirm, restarts the "unchanged" clock.
    if (confirmedFlushLsn != slotConfirmedFlushLsn || lagBytes <= 0 || slotLsnChangedAtMs == 0) {
      slotLsnChangedAtMs = nowMs;
    }
    slotLagBytes = lagBytes;
    slotConfirmedFlushLsn = confirmedFlushLsn;
    slotWalStatus = walStatus;
    slotActive = active;
  }

  /** Where a record stands relative to the snapshot. */
  enum SnapshotState {
    RUNNING,
    LAST,
    STREAMING,
    UNKNOWN
  }
}
