package dev.mica.api.inference;

import java.time.Instant;

/** One row of /api/ps. {@code expiresAt} is null for models kept forever. */
public record RunningModel(String name, String digest, long size, long sizeVram, ModelDetails.Details details, Instant expiresAt, int contextLength, String backend) {}
