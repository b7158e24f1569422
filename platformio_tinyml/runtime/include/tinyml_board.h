/* Board support: the instruction counter and the stack high-water mark.
 *
 * On an emulated board (QEMU with -icount, one virtual nanosecond per guest instruction) SysTick
 * runs from the core clock, so its ticks convert exactly into guest instructions. The start-up
 * code of the library's emulated images (the platformio-tinyml platform's boards, and `pio test`
 * images on other platforms' Cortex-M boards) starts the counter before main() and defines
 * TINYML_HAS_INSTRUCTION_COUNTER=1. Everywhere else (the host, a firmware with its own start-up)
 * the runtime's weak defaults return 0, so code using these functions builds on any board. */
#ifndef TINYML_BOARD_H
#define TINYML_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 where tinyml_instructions() counts guest instructions, 0 where it always returns 0. */
#ifndef TINYML_HAS_INSTRUCTION_COUNTER
#define TINYML_HAS_INSTRUCTION_COUNTER 0
#endif

/* Guest instructions executed since the counter started (before main). Resolution: one SysTick
 * tick, 1e9 / core clock instructions (40 on the mps2 boards, 31.25 on mps3-an547). */
uint64_t tinyml_instructions(void);

/* The stack reserve (the board manifest's tinyml.stack_size) and the most of it used so far,
 * measured by painting the stack at reset and finding the deepest overwritten word. When
 * used == size the reserve was (probably) exceeded. Both are 0 on the host. On Armv8-M cores
 * (Cortex-M55) the stack limit register also turns an overflow into a UsageFault at once. */
size_t tinyml_stack_size(void);
size_t tinyml_stack_used(void);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_BOARD_H */
