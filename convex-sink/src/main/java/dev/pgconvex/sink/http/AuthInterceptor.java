package dev.pgconvex.sink.http;

import dev.pgconvex.common.config.Secret;
import java.io.IOException;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.Response;

/** Adds {@code Authorization: Convex <admin key>} to every request. Thread-safe. */
public final class AuthInterceptor implements Interceptor {
  private final Secret adminKey;

  public AuthInterceptor(Secret adminKey) {
    this.adminKey = Objects.requireNonNull(adminKey, "adminKey");
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    return chain.proceed(
        chain
            .request()
            .newBuilder()
            .header("Authorization", "Convex " + adminKey.reveal())
            .build());
  }
}
