// Fused NVFP4 expert matmul for MoE prefill: out[r] = x[r] · W[indices[r]]ᵀ.
//
// Registered through mlx_fast_metal_kernel_* by dev.mica.mlx.ExpertKernel, which splits this file at
// the "// @@" markers: the header sections go to MLX as the kernel's header, one body section as its
// source. MLX writes the [[kernel]] signature around the body: the inputs x [R, K] (T), w [E, N, K/8]
// (uint32: eight E2M1 nibbles per word, lowest first), scales [E, N, K/16] (uint8: E4M3, one per 16
// values), indices [R] (int32 or uint32, the expert of each row, ascending: rows grouped by expert as
// mlx-lm's SwitchGLU sorts them for prefill); the output out [R, N] (float32); the template
// arguments T, K, N, BM, BN, BK; x_shape (because the body names it); and the [[...]] attributes
// the body names (threadgroup_position_in_grid, thread_index_in_threadgroup,
// simdgroup_index_in_threadgroup).
//
// Dispatch: threadgroups of 128 threads (4 SIMD groups), grid (ceil(N/BN)·128, ceil(R/BM), 1) threads.
// Each threadgroup owns a BM×BN tile of out. The rows of a tile may belong to several experts (the
// groups are ragged): as MLX's gather_mm_rhs, the tile is computed once per run of equal indices,
// with the rows outside the run zeroed in the x tile, so every row's sum only ever receives its own
// expert's products and one accumulator serves all runs. Weights are dequantized into threadgroup
// memory per BK-slice: E4M3 scale × E2M1 value is exact in half (at most 6 significant bits, 2^-10 ..
// 2688), so the only rounding before the float accumulation is x's (to half in the tensor-ops
// variant; none in the simdgroup variant, which keeps float tiles).
//
// NEVER COMPILED OR EXECUTED on the machines this was written on (Linux, no Metal): see README.md.
// The Java reference of the same algorithm (Nvfp4ExpertReference, tests) is what was run.

// @@header common
#include <metal_stdlib>
#include <metal_simdgroup>
#include <metal_simdgroup_matrix>
using namespace metal;

// E2M1: sign, 2-bit exponent, 1-bit mantissa (as MLX's fp4_e2m1).
constant half MICA_FP4[16] = {0.0h, 0.5h, 1.0h, 1.5h, 2.0h, 3.0h, 4.0h, 6.0h,
                              -0.0h, -0.5h, -1.0h, -1.5h, -2.0h, -3.0h, -4.0h, -6.0h};

// OCP FP8 E4M3 (bias 7, no infinities, S.1111.111 is NaN), as MLX's fp8_e4m3 reads a scale byte.
inline half mica_e4m3(uint8_t v) {
  const uint e = (uint(v) >> 3) & 15u;
  const uint m = uint(v) & 7u;
  half h;
  if (e == 15u && m == 7u) {
    h = half(NAN);
  } else if (e == 0u) {
    h = half(float(m) * 0.001953125f); // m · 2^-9, a half subnormal-free value
  } else {
    h = as_type<half>(ushort(((e + 8u) << 10) | (m << 7))); // rebias 7 → 15
  }
  return (uint(v) & 0x80u) != 0u ? -h : h;
}

// One uint32 word: eight consecutive values of a weight row, lowest nibble first.
template <typename U>
inline void mica_dequant_word(uint32_t word, half scale, threadgroup U* dst) {
  for (int i = 0; i < 8; i++) {
    dst[i] = U(scale * MICA_FP4[(word >> (4 * i)) & 15u]);
  }
}

// @@header tensor_ops
#include <metal_tensor>
#include <MetalPerformancePrimitives/MetalPerformancePrimitives.h>

// @@body tensor_ops
  // Metal 4 tensor ops (M5 neural accelerators): half tiles in threadgroup memory,
  // mpp::tensor_ops::matmul2d over 4 SIMD groups, float accumulation in a cooperative tensor.
  const int R = x_shape[0];
  const int row0 = int(threadgroup_position_in_grid.y) * BM;
  const int col0 = int(threadgroup_position_in_grid.x) * BN;
  const int tid = int(thread_index_in_threadgroup);
  const int rows = min(BM, R - row0);
  constexpr int WPR = K / 8;  // uint32 words per weight row
  constexpr int SPR = K / 16; // scales per weight row

  threadgroup half Xs[BM * BK];
  threadgroup half Ws[BN * BK];
  threadgroup float Cs[BM * BN];

  // C[BM, BN] += X[BM, BK] · W[BN, BK]ᵀ: left not transposed, right transposed.
  constexpr auto desc = mpp::tensor_ops::matmul2d_descriptor(
      BM, BN, BK, false, true, false,
      mpp::tensor_ops::matmul2d_descriptor::mode::multiply_accumulate);
  mpp::tensor_ops::matmul2d<desc, metal::execution_simdgroups<4>> op;

  // Extents innermost first: X is BM rows of BK, W is BN rows of BK, C is BM rows of BN.
  auto tX = tensor<threadgroup half, dextents<int32_t, 2>, tensor_inline>(Xs, dextents<int32_t, 2>(BK, BM));
  auto tW = tensor<threadgroup half, dextents<int32_t, 2>, tensor_inline>(Ws, dextents<int32_t, 2>(BK, BN));
  auto tC = tensor<threadgroup float, dextents<int32_t, 2>, tensor_inline>(Cs, dextents<int32_t, 2>(BN, BM));

  auto acc = op.template get_destination_cooperative_tensor<
      metal::remove_addrspace_t<decltype(tX)>,
      metal::remove_addrspace_t<decltype(tW)>,
      float>();
#pragma unroll full
  for (uint16_t i = 0; i < acc.get_capacity(); ++i) {
    if (acc.get_mask(i)) {
      acc[i] = 0.0f;
    }
  }

  int start = 0;
  while (start < rows) {
    const int e = int(indices[row0 + start]);
    int end = start + 1;
    while (end < rows && int(indices[row0 + end]) == e) {
      end++;
    }
    const device uint32_t* we = w + size_t(e) * size_t(N) * WPR;
    const device uint8_t* se = scales + size_t(e) * size_t(N) * SPR;
    for (int k0 = 0; k0 < K; k0 += BK) {
      threadgroup_barrier(mem_flags::mem_threadgroup);
      for (int i = tid; i < BM * BK; i += 128) {
        const int r = i / BK;
        const int c = i % BK;
        Xs[i] = (r >= start && r < end) ? half(x[size_t(row0 + r) * K + k0 + c]) : half(0.0h);
      }
      for (int i = tid; i < BN * (BK / 8); i += 128) {
        const int n = i / (BK / 8);
        const int c = (i % (BK / 8)) * 8;
        threadgroup half* dst = Ws + n * BK + c;
        if (col0 + n < N) {
          const size_t row = size_t(col0 + n);
          mica_dequant_word(we[row * WPR + (k0 + c) / 8], mica_e4m3(se[row * SPR + (k0 + c) / 16]), dst);
        } else {
          for (int j = 0; j < 8; j++) {
            dst[j] = half(0.0h);
          }
        }
      }
      threadgroup_barrier(mem_flags::mem_threadgroup);
      op.run(tX, tW, acc);
    }
    start = end;
  }

  threadgroup_barrier(mem_flags::mem_threadgroup);
  acc.store(tC);
  threadgroup_barrier(mem_flags::mem_threadgroup);
  for (int i = tid; i < BM * BN; i += 128) {
    const int r = i / BN;
    const int c = i % BN;
    if (r < rows && col0 + c < N) {
      out[size_t(row0 + r) * N + col0 + c] = Cs[i];
    }
  }

// @@body simdgroup
  // Apple GPUs before the neural accelerators: float tiles, 8×8 simdgroup_matrix products.
  // 4 SIMD groups in a 2×2 layout, each owning a (BM/2)×(BN/2) block of 8×8 fragments.
  const int R = x_shape[0];
  const int row0 = int(threadgroup_position_in_grid.y) * BM;
  const int col0 = int(threadgroup_position_in_grid.x) * BN;
  const int tid = int(thread_index_in_threadgroup);
  const int sg = int(simdgroup_index_in_threadgroup);
  const int rows = min(BM, R - row0);
  constexpr int WPR = K / 8;
  constexpr int SPR = K / 16;
  constexpr int FM = BM / 16; // fragments per SIMD group, down
  constexpr int FN = BN / 16; // and across
  const int sm = (sg / 2) * (BM / 2);
  const int sn = (sg % 2) * (BN / 2);

  threadgroup float Xs[BM * BK];
  threadgroup float Ws[BN * BK];
  threadgroup float Cs[BM * BN];

  simdgroup_float8x8 acc[FM][FN];
  for (int i = 0; i < FM; i++) {
    for (int j = 0; j < FN; j++) {
      acc[i][j] = make_filled_simdgroup_matrix<float, 8, 8>(0.0f);
    }
  }

  int start = 0;
  while (start < rows) {
    const int e = int(indices[row0 + start]);
    int end = start + 1;
    while (end < rows && int(indices[row0 + end]) == e) {
      end++;
    }
    const device uint32_t* we = w + size_t(e) * size_t(N) * WPR;
    const device uint8_t* se = scales + size_t(e) * size_t(N) * SPR;
    for (int k0 = 0; k0 < K; k0 += BK) {
      threadgroup_barrier(mem_flags::mem_threadgroup);
      for (int i = tid; i < BM * BK; i += 128) {
        const int r = i / BK;
        const int c = i % BK;
        Xs[i] = (r >= start && r < end) ? float(x[size_t(row0 + r) * K + k0 + c]) : 0.0f;
      }
      for (int i = tid; i < BN * (BK / 8); i += 128) {
        const int n = i / (BK / 8);
        const int c = (i % (BK / 8)) * 8;
        threadgroup float* dst = Ws + n * BK + c;
        if (col0 + n < N) {
          const size_t row = size_t(col0 + n);
          mica_dequant_word(we[row * WPR + (k0 + c) / 8], mica_e4m3(se[row * SPR + (k0 + c) / 16]), dst);
        } else {
          for (int j = 0; j < 8; j++) {
            dst[j] = 0.0f;
          }
        }
      }
      threadgroup_barrier(mem_flags::mem_threadgroup);
      for (int kk = 0; kk < BK; kk += 8) {
        simdgroup_float8x8 a[FM];
        simdgroup_float8x8 b[FN];
        for (int i = 0; i < FM; i++) {
          simdgroup_load(a[i], Xs + (sm + 8 * i) * BK + kk, BK);
        }
        for (int j = 0; j < FN; j++) {
          // W is stored [n][k]: loaded transposed, b[j] is the 8×8 block of Wᵀ
          simdgroup_load(b[j], Ws + (sn + 8 * j) * BK + kk, BK, ulong2(0, 0), true);
        }
        for (int i = 0; i < FM; i++) {
          for (int j = 0; j < FN; j++) {
            simdgroup_multiply_accumulate(acc[i][j], a[i], b[j], acc[i][j]);
          }
        }
      }
    }
    start = end;
  }

  threadgroup_barrier(mem_flags::mem_threadgroup);
  for (int i = 0; i < FM; i++) {
    for (int j = 0; j < FN; j++) {
      simdgroup_store(acc[i][j], Cs + (sm + 8 * i) * BN + sn + 8 * j, BN);
    }
  }
  threadgroup_barrier(mem_flags::mem_threadgroup);
  for (int i = tid; i < BM * BN; i += 128) {
    const int r = i / BN;
    const int c = i % BN;
    if (r < rows && col0 + c < N) {
      out[size_t(row0 + r) * N + col0 + c] = Cs[i];
    }
  }
