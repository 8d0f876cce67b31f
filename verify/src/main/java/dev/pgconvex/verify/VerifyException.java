package dev.pgconvex.verify;

/**
 * The verification could not be carried out (exit 2 of {@code ./cdc verify}); the message says why
 * in one line, without secrets.
 */
public class VerifyException extends RuntimeException {
  public VerifyException(String message) {
    super(message);
  }

  public VerifyException(String message, Throwable cause) {
    super(message, cause);
  }
}
