/* Board support under test on every board: stdio, the instruction counter, floating point and,
 * on the Cortex-M55, Helium (MVE). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <unity.h>

#include "tinyml_board.h"

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>
#endif

void setUp(void) {}
void tearDown(void) {}

static volatile int32_t sink;

static void spin(int32_t iterations)
{
    for (int32_t i = 0; i < iterations; i++) {
        sink = i;
    }
}

static void test_static_data_is_initialised(void)
{
    static int32_t initialised = 0x12345678; /* .data, copied from flash at reset */
    static int32_t zeroed;                   /* .bss, cleared at reset */
    TEST_ASSERT_EQUAL_HEX32(0x12345678, initialised);
    TEST_ASSERT_EQUAL_INT32(0, zeroed);
}

static void test_instruction_counter_counts_work(void)
{
#if TINYML_HAS_INSTRUCTION_COUNTER
    uint64_t t0 = tinyml_instructions();
    spin(1000);
    uint64_t t1 = tinyml_instructions();
    spin(100000);
    uint64_t t2 = tinyml_instructions();
    /* A loop iteration is a handful of instructions: 100x the work must cost about 100x. */
    TEST_ASSERT_GREATER_THAN_UINT64(t0, t1);
    uint64_t small = t1 - t0, large = t2 - t1;
    TEST_ASSERT_UINT64_WITHIN(large / 10, small * 100, large);
    printf("instructions for 100000 iterations: %lu\n", (unsigned long)large);
#else
    TEST_IGNORE_MESSAGE("no instruction counter on the host");
#endif
}

static int32_t recurse(int32_t depth)
{
    volatile int32_t frame[64]; /* 256 bytes a level, kept by volatile */
    frame[0] = depth;
    return depth == 0 ? frame[0] : recurse(depth - 1) + frame[0];
}

static void test_stack_high_water_mark_grows_with_use(void)
{
    if (tinyml_stack_size() == 0) {
        TEST_IGNORE_MESSAGE("no stack measurement on the host");
    }
    size_t before = tinyml_stack_used();
    TEST_ASSERT_GREATER_THAN(0, before);
    TEST_ASSERT_EQUAL_INT32(10 * 11 / 2, recurse(10));
    size_t after = tinyml_stack_used();
    /* Eleven frames of at least 256 bytes each: deeper than anything before (a high-water mark
     * is a maximum, so earlier calls' depth is not added). */
    TEST_ASSERT_GREATER_THAN(before, after);
    TEST_ASSERT_GREATER_OR_EQUAL(11 * 256, after);
    TEST_ASSERT_LESS_THAN(tinyml_stack_size(), after);
    printf("stack used: %u of %u bytes\n", (unsigned)after, (unsigned)tinyml_stack_size());
}

static void test_floating_point(void)
{
    volatile float x = 2.0f;
    TEST_ASSERT_FLOAT_WITHIN(1e-6f, 1.41421356f, sqrtf(x));
    volatile double y = 0.5;
    TEST_ASSERT_DOUBLE_WITHIN(1e-12, 0.479425538604203, sin(y));
}

static void test_stdio_formats(void)
{
    char text[32];
    snprintf(text, sizeof text, "%d:%s:%03u", -42, "ok", 7u);
    TEST_ASSERT_EQUAL_STRING("-42:ok:007", text);
}

static void test_helium_dot_product(void)
{
#if defined(__ARM_FEATURE_MVE)
    int8_t a[16], b[16];
    int32_t expected = 0;
    for (int i = 0; i < 16; i++) {
        a[i] = (int8_t)(i * 9 - 70);
        b[i] = (int8_t)(i * -5 + 33);
        expected += a[i] * b[i];
    }
    int32_t got = vmladavq_s8(vld1q_s8(a), vld1q_s8(b));
    TEST_ASSERT_EQUAL_INT32(expected, got);
#else
    TEST_IGNORE_MESSAGE("no Helium (MVE) on this core");
#endif
}

int main(void)
{
    UNITY_BEGIN();
    RUN_TEST(test_static_data_is_initialised);
    RUN_TEST(test_instruction_counter_counts_work);
    RUN_TEST(test_stack_high_water_mark_grows_with_use);
    RUN_TEST(test_floating_point);
    RUN_TEST(test_stdio_formats);
    RUN_TEST(test_helium_dot_product);
    return UNITY_END();
}
