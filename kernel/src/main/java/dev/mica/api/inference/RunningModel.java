package dev.mica.api.inference;

import java.time.Instant;

/**
 * One row of /api/ps. {@code expiresAt} is null for models kept forever. {@code route} says where
 * the backend computes, in its own words ("MLX on Metal GPU, NAX possible", "llama.cpp on CPU"), or null.
 */
public record RunningModel(String name, String digest, long size, long sizeVram, ModelDetails.Details details, Instant expiresAt, int contextLength, String backend,
                           String route) {
    /** Without a route: the backend says nothing about where it computes. */
    public RunningModel(String name, String digest, long size, long sizeVram, ModelDetails.Details details, Instant expiresAt, int contextLength, String backend) {
        this(name, digest, size, sizeVram, details, expiresAt, contextLength, backend, null);
    }
}
