/* Start-up code for the platformio-tinyml Cortex-M boards: vector table, .data/.bss set-up,
 * FPU/MVE enable, semihosting stdio, the instruction counter, and fault reports the emulator
 * runner can read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tinyml_board.h"

extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__;
extern uint32_t __stack_limit__, __stack_top__;
extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define SCB_ICSR REG32(0xE000ED04u)
#define SCB_SHCSR REG32(0xE000ED24u)
#define SCB_CFSR REG32(0xE000ED28u)
#define SCB_HFSR REG32(0xE000ED2Cu)
#define SCB_MMFAR REG32(0xE000ED34u)
#define SCB_BFAR REG32(0xE000ED38u)
#define SCB_CPACR REG32(0xE000ED88u)
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

/* Exit code for a fault, so a runner that only sees the status still knows what happened. */
#define TINYML_FAULT_EXIT_CODE 0xFA

void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);

static volatile uint32_t systick_wraps;

/* ---- the instruction counter ---------------------------------------------------------- */

static void counter_start(void)
{
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 7u; /* core clock, interrupt on wrap, enabled */
    /* The current value reads 0 until the first reload. */
    while (SYST_CVR == 0u) {
    }
}

uint64_t tinyml_instructions(void)
{
    uint32_t wraps, value;
    do {
        wraps = systick_wraps;
        value = SYST_CVR;
    } while (wraps != systick_wraps);
    uint64_t ticks = ((uint64_t)wraps << 24) + (0x00FFFFFFu - value);
    return ticks * 1000000000ull / TINYML_CPU_CLOCK_HZ;
}

void SysTick_Handler(void) { systick_wraps++; }

/* ---- the stack high-water mark ------------------------------------------------------- */

#define STACK_PAINT 0x5AC4C0DEu

/* Fills the unused part of the stack with a pattern, stopping a little below this function's
 * own frame. */
__attribute__((noinline)) static void stack_paint(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *word = &__stack_limit__; word < sp - 16; word++) {
        *word = STACK_PAINT;
    }
}

size_t tinyml_stack_size(void)
{
    return (size_t)((uintptr_t)&__stack_top__ - (uintptr_t)&__stack_limit__);
}

size_t tinyml_stack_used(void)
{
    const uint32_t *word = &__stack_limit__;
    while (word < &__stack_top__ && *word == STACK_PAINT) {
        word++;
    }
    return (size_t)((uintptr_t)&__stack_top__ - (uintptr_t)word);
}

/* ---- faults --------------------------------------------------------------------------- */

static void semihost_write0(const char *text)
{
    register uint32_t r0 __asm__("r0") = 0x04u; /* SYS_WRITE0 */
    register const char *r1 __asm__("r1") = text;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

static char *put_hex(char *out, const char *label, uint32_t value)
{
    static const char digits[] = "0123456789abcdef";
    while (*label) {
        *out++ = *label++;
    }
    *out++ = '0';
    *out++ = 'x';
    for (int shift = 28; shift >= 0; shift -= 4) {
        *out++ = digits[(value >> shift) & 0xFu];
    }
    return out;
}

/* Called from Fault_Handler with the stacked exception frame. One line, fixed format:
 * the emulator runner (platformio_tinyml.emulate) parses it and names the fault. */
void tinyml_report_fault(const uint32_t *frame)
{
    static const char *const names[] = {"Reset", "NMI", "HardFault", "MemManage", "BusFault",
                                        "UsageFault", "SecureFault"};
    uint32_t vector = SCB_ICSR & 0x1FFu;
    const char *name = (vector >= 1u && vector <= 7u) ? names[vector - 1u] : "UnexpectedException";
    char line[200];
    char *out = line;
    for (const char *p = "\n[tinyml] fault: "; *p;) {
        *out++ = *p++;
    }
    while (*name) {
        *out++ = *name++;
    }
    out = put_hex(out, " vector=", vector);
    out = put_hex(out, " pc=", frame[6]);
    out = put_hex(out, " lr=", frame[5]);
    out = put_hex(out, " cfsr=", SCB_CFSR);
    out = put_hex(out, " hfsr=", SCB_HFSR);
    out = put_hex(out, " mmfar=", SCB_MMFAR);
    out = put_hex(out, " bfar=", SCB_BFAR);
    *out++ = '\n';
    *out = '\0';
    fflush(stdout);
    semihost_write0(line);
    _exit(TINYML_FAULT_EXIT_CODE);
}

/* The faulting frame is on the stack EXC_RETURN (lr) names. Thumb-1 instructions only, so the
 * handler also assembles for Armv6-M (Cortex-M0/M0+), whose images run on the M3 machine. */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile(
        "movs r0, #4       \n"
        "mov r1, lr        \n"
        "tst r0, r1        \n"
        "beq 1f            \n"
        "mrs r0, psp       \n"
        "b 2f              \n"
        "1: mrs r0, msp    \n"
        "2: ldr r1, =tinyml_report_fault \n"
        "bx r1             \n"
        ".ltorg            \n");
}

/* newlib's __libc_init_array calls these; without crti/crtn (-nostartfiles) they do nothing. */
void _init(void) {}
void _fini(void) {}

/* ---- reset ---------------------------------------------------------------------------- */

void Reset_Handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CP10/CP11 full access: the FPU, and on Armv8.1-M the Helium (MVE) unit too. This must
     * happen before any compiled code may use FP or vector registers. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n isb" ::: "memory");
#endif
    /* Report MemManage, BusFault and UsageFault as themselves rather than as HardFault. */
    SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18);

    uint32_t *src = &__data_load__;
    for (uint32_t *dst = &__data_start__; dst < &__data_end__;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &__bss_start__; dst < &__bss_end__;) {
        *dst++ = 0u;
    }

#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
    /* Armv8-M: a push below the reserve faults (STKOF) instead of corrupting the heap. */
    __asm__ volatile("msr msplim, %0" ::"r"(&__stack_limit__));
#endif
    stack_paint();
    initialise_monitor_handles();
    __libc_init_array();
    counter_start();
    exit(main());
}

/* Vector table: the 16 system exceptions, then 32 device interrupts, which our firmware does
 * not enable, routed to the fault report. */
__attribute__((section(".vectors"), used)) static void (*const vector_table[48])(void) = {
    [0] = (void (*)(void))(&__stack_top__),
    [1] = Reset_Handler,
    [2] = Fault_Handler,  /* NMI */
    [3] = Fault_Handler,  /* HardFault */
    [4] = Fault_Handler,  /* MemManage */
    [5] = Fault_Handler,  /* BusFault */
    [6] = Fault_Handler,  /* UsageFault */
    [7] = Fault_Handler,  /* SecureFault (Armv8-M) */
    [11] = Fault_Handler, /* SVCall */
    [12] = Fault_Handler, /* DebugMonitor */
    [14] = Fault_Handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 ... 47] = Fault_Handler,
};
