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

#define CFSR_DACCVIOL (1u << 1)
#define CFSR_MSTKERR (1u << 4)
#define CFSR_MMARVALID (1u << 7)
#define CFSR_STKERR (1u << 12)
#define CFSR_STKOF (1u << 20)

#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
#define HAS_STACK_LIMIT 1
#elif defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
/* No stack limit register: an MPU region below the stack (the linker script's .stack_guard). */
#define HAS_STACK_GUARD 1
extern uint32_t __stack_guard__;
#define MPU_TYPE REG32(0xE000ED90u)
#define MPU_CTRL REG32(0xE000ED94u)
#define MPU_RNR REG32(0xE000ED98u)
#define MPU_RBAR REG32(0xE000ED9Cu)
#define MPU_RASR REG32(0xE000EDA0u)
#endif

extern uint32_t __text_start__, __text_end__;

/* The fault report runs on a stack of its own (Fault_Handler switches to it): a stack overflow
 * leaves the program's stack with no room for it. */
#define FAULT_STACK_BYTES 512
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
__attribute__((used)) static uint64_t fault_stack[FAULT_STACK_BYTES / 8];
#ifdef HAS_STACK_LIMIT
#define STACK_LIMIT_OF(reg) "mrs r1, " reg " \n"
#else
#define STACK_LIMIT_OF(reg) "movs r1, #0 \n"
#endif

static void semihost_write0(const char *text)
{
    register uint32_t r0 __asm__("r0") = 0x04u; /* SYS_WRITE0 */
    register const char *r1 __asm__("r1") = text;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

static char *put_text(char *out, const char *text)
{
    while (*text) {
        *out++ = *text++;
    }
    return out;
}

static char *put_hex(char *out, const char *label, uint32_t value)
{
    static const char digits[] = "0123456789abcdef";
    out = put_text(out, label);
    *out++ = '0';
    *out++ = 'x';
    for (int shift = 28; shift >= 0; shift -= 4) {
        *out++ = digits[(value >> shift) & 0xFu];
    }
    return out;
}

/* Whether `word` is the return address of a call: an odd code address just after a BL or BLX. */
static int is_return_address(uint32_t word)
{
    if ((word & 1u) == 0u || word < (uintptr_t)&__text_start__ + 4u || word > (uintptr_t)&__text_end__) {
        return 0;
    }
    const uint16_t *after = (const uint16_t *)(word - 1u);
    int bl = (after[-2] & 0xF800u) == 0xF000u && (after[-1] & 0xD000u) == 0xD000u;
    int blx = (after[-1] & 0xFF87u) == 0x4780u;
    return bl || blx;
}

/* The return address nearest the bottom of the stack: the call the program was in when the
 * stack ran out. 0 if there is none. */
static uint32_t deepest_return_address(void)
{
    for (const uint32_t *word = &__stack_limit__; word < &__stack_top__; word++) {
        if (is_return_address(*word)) {
            return *word;
        }
    }
    return 0u;
}

/* Whether exception entry failed to write the frame (pc, lr) at `frame` for want of stack; then
 * nothing in it is the faulting code's. `limit` is that stack's limit register (Armv8-M), or NULL. */
static int frame_lost(const uint32_t *frame, const uint32_t *limit)
{
    uint32_t cfsr = SCB_CFSR;
    if (cfsr & (CFSR_MSTKERR | CFSR_STKERR)) {
        return 1;
    }
    /* Armv8-M: stacking that would go below the limit sets the stack pointer to the limit. */
    return (cfsr & CFSR_STKOF) && frame == limit;
}

/* The base of the stack guard if this fault is the stack reaching it, else 0. */
static uint32_t guard_hit(const uint32_t *frame)
{
#ifdef HAS_STACK_GUARD
    uintptr_t base = (uintptr_t)&__stack_guard__, top = (uintptr_t)&__stack_limit__;
    uint32_t cfsr = SCB_CFSR;
    int access = (cfsr & CFSR_DACCVIOL) && (cfsr & CFSR_MMARVALID) && SCB_MMFAR >= base && SCB_MMFAR < top;
    int stacking = (cfsr & CFSR_MSTKERR) && (uintptr_t)frame >= base && (uintptr_t)frame < top;
    if ((MPU_CTRL & 1u) && (access || stacking)) {
        return base;
    }
#else
    (void)frame;
#endif
    return 0u;
}

/* Called from Fault_Handler, on the fault stack, with the exception frame. One line, fixed format:
 * the emulator runner (platformio_tinyml.emulate) parses it and names the fault. */
void tinyml_report_fault(const uint32_t *frame, const uint32_t *limit)
{
    static const char *const names[] = {"Reset", "NMI", "HardFault", "MemManage", "BusFault",
                                        "UsageFault", "SecureFault"};
    static char line[240]; /* static: the stack in use is small */
    uint32_t vector = SCB_ICSR & 0x1FFu;
    int lost = frame_lost(frame, limit);
    char *out = put_text(line, "\n[tinyml] fault: ");
    out = put_text(out, (vector >= 1u && vector <= 7u) ? names[vector - 1u] : "UnexpectedException");
    out = put_hex(out, " vector=", vector);
    out = put_hex(out, " pc=", lost ? 0u : frame[6]);
    out = put_hex(out, " lr=", lost ? 0u : frame[5]);
    out = put_hex(out, " cfsr=", SCB_CFSR);
    out = put_hex(out, " hfsr=", SCB_HFSR);
    out = put_hex(out, " mmfar=", SCB_MMFAR);
    out = put_hex(out, " bfar=", SCB_BFAR);
    out = put_text(out, lost ? " frame=lost" : " frame=stacked");
    out = put_hex(out, " return=", lost ? deepest_return_address() : 0u);
    out = put_hex(out, " guard=", guard_hit(frame));
    *out++ = '\n';
    *out = '\0';
    fflush(stdout);
    semihost_write0(line);
    _exit(TINYML_FAULT_EXIT_CODE);
}

/* Passes the exception frame, found on the stack EXC_RETURN (lr) names, and that stack's limit
 * register (0 without one) to the report, which runs on the fault stack. Thumb-1 instructions only,
 * so the handler also assembles for Armv6-M (Cortex-M0/M0+), whose images run on the M3 machine. */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile(
        "movs r0, #4       \n"
        "mov r1, lr        \n"
        "tst r0, r1        \n"
        "beq 1f            \n"
        "mrs r0, psp       \n"
        STACK_LIMIT_OF("psplim")
        "b 2f              \n"
        "1: mrs r0, msp    \n"
        STACK_LIMIT_OF("msplim")
        "2:                \n"
#ifdef HAS_STACK_LIMIT
        /* The limit first: the fault stack is below the program's stack. */
        "ldr r2, =fault_stack \n"
        "msr msplim, r2    \n"
#endif
        "ldr r2, =fault_stack + " STRINGIFY(FAULT_STACK_BYTES) " \n"
        "msr msp, r2       \n"
        "ldr r2, =tinyml_report_fault \n"
        "bx r2             \n"
        ".ltorg            \n");
}

#ifdef HAS_STACK_GUARD
/* MPU region 0 is the guard: no access, execute-never. PRIVDEFENA keeps the default memory map
 * everywhere else for this privileged code. A core without an MPU goes unguarded. */
static void stack_guard_enable(void)
{
    uint32_t size = (uint32_t)((uintptr_t)&__stack_limit__ - (uintptr_t)&__stack_guard__);
    if (((MPU_TYPE >> 8) & 0xFFu) == 0u) {
        return;
    }
    MPU_RNR = 0u;
    MPU_RBAR = (uint32_t)(uintptr_t)&__stack_guard__;
    /* XN, AP = 000 (no access), SIZE = log2(size) - 1, enabled */
    MPU_RASR = (1u << 28) | ((uint32_t)(__builtin_ctz(size) - 1) << 1) | 1u;
    MPU_CTRL = (1u << 2) | 1u;
    __asm__ volatile("dsb\n isb" ::: "memory");
}
#endif

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

#ifdef HAS_STACK_LIMIT
    /* Armv8-M: a push below the reserve faults (STKOF) instead of corrupting the heap. */
    __asm__ volatile("msr msplim, %0" ::"r"(&__stack_limit__));
#elif defined(HAS_STACK_GUARD)
    stack_guard_enable();
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
