package dev.mica.api.backend;

/** A compute device. Memory in bytes; -1 where the backend cannot tell. */
public record DeviceInfo(String name, String kind, long totalMemory, long freeMemory) {}
