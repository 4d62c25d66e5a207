// CPU feature detection for choosing a kernel set at run time (Swift has no cpuid).
#ifndef RADLENS_CPU_H
#define RADLENS_CPU_H

/// 1 when the CPU and OS support AVX-512 F, BW, DQ and VL (the skylake-avx512 level).
int rl_cpu_has_avx512(void);
/// 1 when the CPU and OS support AVX2 and FMA (the haswell level).
int rl_cpu_has_avx2_fma(void);

#endif
