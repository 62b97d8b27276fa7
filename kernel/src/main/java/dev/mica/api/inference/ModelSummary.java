package dev.mica.api.inference;

import java.time.Instant;

/** One row of /api/tags. */
public record ModelSummary(String name, String digest, long size, Instant modifiedAt, ModelDetails.Details details) {}
