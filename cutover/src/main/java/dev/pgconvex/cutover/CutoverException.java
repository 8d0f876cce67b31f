package dev.pgconvex.cutover;

/**
 * A step of the cutover failed or timed out: the cutover aborts (releases the freeze, Postgres
 * stays primary). The message says why in one line, never with a secret.
 */
public class CutoverException extends Exception {
  public CutoverException(String message) {
    super(message);
  }

  public CutoverException(String message, Throwable cause) {
    super(message, cause);
  }
}
