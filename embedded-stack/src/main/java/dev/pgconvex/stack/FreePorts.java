package dev.pgconvex.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Picks free TCP ports on the loopback interface. */
final class FreePorts {
  private FreePorts() {}

  /**
   * A port that was free a moment ago. Another process may take it before the caller binds it; the
   * window is small and acceptable for tests and local stacks.
   */
  static int pick() {
    try (ServerSocket socket = new ServerSocket()) {
      // No SO_REUSEADDR: a port still in TIME_WAIT is not reported as free.
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free TCP port", e);
    }
  }

  /** Whether {@code port} can be bound on the loopback interface right now. */
  static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
