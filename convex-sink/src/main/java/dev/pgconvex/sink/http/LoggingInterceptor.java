package dev.pgconvex.sink.http;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs each call at DEBUG (method, path, status, duration, request size) and failures at DEBUG too
 * (the client's caller decides what deserves a WARN). Never logs headers or bodies, so the admin
 * key cannot leak. Installed as an application interceptor, before {@link AuthInterceptor}, so it
 * does not even see the {@code Authorization} header. Thread-safe.
 */
public final class LoggingInterceptor implements Interceptor {
  private static final Logger log = LoggerFactory.getLogger(LoggingInterceptor.class);

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    if (!log.isDebugEnabled()) {
      return chain.proceed(request);
    }
    long start = System.nanoTime();
    long size = request.body() == null ? 0 : request.body().contentLength();
    try {
      Response response = chain.proceed(request);
      log.debug(
          "{} {} -> {} in {} ms ({} bytes sent)",
          request.method(),
          request.url().encodedPath(),
          response.code(),
          (System.nanoTime() - start) / 1_000_000,
          size);
      return response;
    } catch (IOException e) {
      log.debug(
          "{} {} failed after {} ms: {}",
          request.method(),
          request.url().encodedPath(),
          (System.nanoTime() - start) / 1_000_000,
          e.toString());
      throw e;
    }
  }
}
