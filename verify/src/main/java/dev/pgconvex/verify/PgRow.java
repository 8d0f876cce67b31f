package dev.pgconvex.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.verify.MirrorVerifier.ParentRef;
import java.util.Map;

/**
 * A row read from Postgres for the comparison: its source key, its columns translated by the
 * verifier's own oracle ({@link MirrorVerifier#columnsDoc}), its parents, and its {@code xmin}
 * (whether it changed after the verify began).
 */
record PgRow(String key, ObjectNode doc, Map<String, ParentRef> refs, long xmin) {}
