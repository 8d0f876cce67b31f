/**
 * Convex's HTTP API: {@link dev.pgconvex.sink.http.ConvexClient} (one OkHttp client, auth and
 * logging interceptors, {@code TCP_NODELAY} sockets) and the {@link
 * dev.pgconvex.sink.http.ConvexException} hierarchy, whose subtype says whether to retry.
 */
package dev.pgconvex.sink.http;
