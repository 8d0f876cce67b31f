package dev.pgconvex.dashboard;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Executors;

/**
 * A dashboard on an HTTP server of its own ({@code ./cdc dashboard --endpoint URL ...}, for stages
 * deployed as separate services). {@code ./cdc run} and {@code demo} install theirs on the
 * pipeline's endpoint instead.
 */
public final class DashboardServer implements AutoCloseable {
  private final HttpServer server;
  private final Dashboard dashboard;

  public DashboardServer(Dashboard dashboard, String host, int port) throws IOException {
    this.dashboard = dashboard;
    server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "dashboard-http");
              t.setDaemon(true);
              return t;
            }));
    dashboard.install(server::createContext);
    server.start();
    dashboard.start();
  }

  /** Base URL of the page, e.g. {@code http://127.0.0.1:8090/dashboard/}. */
  public String url() {
    return "http://"
        + server.getAddress().getHostString()
        + ":"
        + server.getAddress().getPort()
        + Dashboard.PATH
        + "/";
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * Why {@code bindAddress} may not serve the dashboard with {@code tokenSet}, or null when it may:
   * an address other than loopback exposes the page, so it needs a token.
   */
  public static String exposureProblem(String bindAddress, boolean tokenSet) {
    if (tokenSet) {
      return null;
    }
    try {
      InetAddress a = InetAddress.getByName(bindAddress);
      if (a.isLoopbackAddress()) {
        return null;
      }
    } catch (UnknownHostException e) {
      return DashboardConfig.BIND_ADDRESS + ": unknown address '" + bindAddress + "'";
    }
    return DashboardConfig.BIND_ADDRESS
        + " is "
        + bindAddress
        + ", which exposes the dashboard beyond this machine: set "
        + DashboardConfig.TOKEN
        + " too (environment DASHBOARD_TOKEN or "
        + DashboardConfig.TOKEN
        + ".file)";
  }

  @Override
  public void close() {
    dashboard.close();
    server.stop(0);
  }
}
