// Fused NVFP4 expert matmul for MoE prefill, CUDA: out[r] = x[r] · W[indices[r]]ᵀ.
//
// Registered through mlx_fast_cuda_kernel_* by dev.mica.mlx.ExpertKernel (split at the "// @@"
// markers: header, body). MLX writes `__global__ void custom_kernel_...(const float* x,
// const __grid_constant__ Shape x_shape, const uint32_t* w, const uint8_t* scales,
// const int32_t* indices, float* out)` inside namespace mlx::core::cu, and turns the template
// arguments into `using T = float; constexpr int K = ...; N, BM, BN, BK` at the top of the body.
// Same algorithm and layout as nvfp4_expert_matmul.metal (see there): runs of equal expert indices
// within a BM-row tile, rows outside the run zeroed, weights dequantized into shared memory as half
// (exact), products with WMMA 16×16×16 half fragments and float accumulators (sm_80+ is asked for by
// the Java side; WMMA half itself needs sm_70). 128 threads (4 warps, 2×2), grid
// (ceil(N/BN)·128, ceil(R/BM), 1) threads, so blockIdx.x is the column tile and blockIdx.y the row tile.
//
// Compiled here only by nvcc as a syntax and type check (see README.md); NEVER EXECUTED.

// @@header cuda
#include <cuda_fp16.h>
#include <mma.h>

namespace mica_nvfp4 {

__device__ __forceinline__ __half e2m1(uint32_t v) {
  // sign, 2-bit exponent, 1-bit mantissa: 0, 0.5, 1, 1.5, 2, 3, 4, 6
  const float mag[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  const float m = mag[v & 7u];
  return __float2half_rn((v & 8u) ? -m : m);
}

// OCP FP8 E4M3 (bias 7, no infinities, S.1111.111 is NaN), as MLX reads an nvfp4 scale byte.
__device__ __forceinline__ __half e4m3(uint8_t v) {
  const uint32_t e = (uint32_t(v) >> 3) & 15u;
  const uint32_t m = uint32_t(v) & 7u;
  __half h;
  if (e == 15u && m == 7u) {
    h = __ushort_as_half((unsigned short)0x7E00u);
  } else if (e == 0u) {
    h = __float2half_rn(float(m) * 0.001953125f);
  } else {
    h = __ushort_as_half((unsigned short)(((e + 8u) << 10) | (m << 7)));
  }
  return (uint32_t(v) & 0x80u) ? __hneg(h) : h;
}

} // namespace mica_nvfp4

// @@body cuda
  namespace wmma = nvcuda::wmma;
  constexpr int WPR = K / 8;
  constexpr int SPR = K / 16;
  constexpr int LD = BK + 8;  // half elements per shared row: a multiple of 8, rows 16-byte apart
  constexpr int FM = BM / 32; // 16×16 fragments per warp, down
  constexpr int FN = BN / 32; // and across
  const int R = x_shape[0];
  const int row0 = int(blockIdx.y) * BM;
  const int col0 = int(blockIdx.x) * BN;
  const int tid = int(threadIdx.x);
  const int warp = tid / 32;
  const int wm = (warp / 2) * (BM / 2);
  const int wn = (warp % 2) * (BN / 2);
  const int rows = min(BM, R - row0);

  __shared__ __align__(32) __half Xs[BM * LD];
  __shared__ __align__(32) __half Ws[BN * LD];
  __shared__ __align__(32) float Cs[BM * BN];

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
  for (int i = 0; i < FM; i++) {
    for (int j = 0; j < FN; j++) {
      wmma::fill_fragment(acc[i][j], 0.0f);
    }
  }

  int start = 0;
  while (start < rows) {
    const int e = int(indices[row0 + start]);
    int end = start + 1;
    while (end < rows && int(indices[row0 + end]) == e) {
      end++;
    }
    const uint32_t* we = w + size_t(e) * size_t(N) * WPR;
    const uint8_t* se = scales + size_t(e) * size_t(N) * SPR;
    for (int k0 = 0; k0 < K; k0 += BK) {
      __syncthreads();
      for (int i = tid; i < BM * BK; i += 128) {
        const int r = i / BK;
        const int c = i % BK;
        Xs[r * LD + c] = (r >= start && r < end) ? __float2half_rn(float(x[size_t(row0 + r) * K + k0 + c])) : __float2half_rn(0.0f);
      }
      for (int i = tid; i < BN * (BK / 8); i += 128) {
        const int n = i / (BK / 8);
        const int c = (i % (BK / 8)) * 8;
        __half* dst = Ws + n * LD + c;
        if (col0 + n < N) {
          const size_t row = size_t(col0 + n);
          const uint32_t word = we[row * WPR + (k0 + c) / 8];
          const __half s = mica_nvfp4::e4m3(se[row * SPR + (k0 + c) / 16]);
          for (int j = 0; j < 8; j++) {
            dst[j] = __hmul(s, mica_nvfp4::e2m1(word >> (4 * j)));
          }
        } else {
          for (int j = 0; j < 8; j++) {
            dst[j] = __float2half_rn(0.0f);
          }
        }
      }
      __syncthreads();
      for (int kk = 0; kk < BK; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a[FM];
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> b[FN];
        for (int i = 0; i < FM; i++) {
          wmma::load_matrix_sync(a[i], Xs + (wm + 16 * i) * LD + kk, LD);
        }
        for (int j = 0; j < FN; j++) {
          // W is stored [n][k]: read column-major, it is Wᵀ
          wmma::load_matrix_sync(b[j], Ws + (wn + 16 * j) * LD + kk, LD);
        }
        for (int i = 0; i < FM; i++) {
          for (int j = 0; j < FN; j++) {
            wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
          }
        }
      }
    }
    start = end;
  }

  __syncthreads();
  for (int i = 0; i < FM; i++) {
    for (int j = 0; j < FN; j++) {
      wmma::store_matrix_sync(Cs + (wm + 16 * i) * BN + wn + 16 * j, acc[i][j], BN, wmma::mem_row_major);
    }
  }
  __syncthreads();
  for (int i = tid; i < BM * BN; i += 128) {
    const int r = i / BN;
    const int c = i % BN;
    if (r < rows && col0 + c < N) {
      out[size_t(row0 + r) * N + col0 + c] = Cs[i];
    }
  }
