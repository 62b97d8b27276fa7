package dev.mica.api.arch;

/** The {@code k} largest values along the last axis, in descending order, and their indices ("i32"). */
public record TopK(Tensor values, Tensor indices) {}
