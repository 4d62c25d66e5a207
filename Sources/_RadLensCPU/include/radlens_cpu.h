// CPU feature detection for choosing a kernel set at run time (Swift has no cpuid), and the
// spin-wait hint (Swift has no PAUSE).
#ifndef RADLENS_CPU_H
#define RADLENS_CPU_H

/// 1 when the CPU and OS support AVX-512 F, BW, DQ and VL (the skylake-avx512 level).
int rl_cpu_has_avx512(void);
/// 1 when the CPU and OS support AVX2 and FMA (the haswell level).
int rl_cpu_has_avx2_fma(void);
/// Tells the CPU this thread is polling a flag (x86 PAUSE, ARM YIELD): the poll then leaves its
/// core's shared resources to a sibling hardware thread and draws less power.
void rl_cpu_spin_pause(void);

#endif
