/* Defaults of tinyml_board.h for firmware without the library's emulator start-up code: no
 * instruction counter, no stack measurement. Weak, so the start-up code's definitions win. */
#include "tinyml_board.h"

__attribute__((weak)) uint64_t tinyml_instructions(void) { return 0u; }

__attribute__((weak)) size_t tinyml_stack_size(void) { return 0u; }

__attribute__((weak)) size_t tinyml_stack_used(void) { return 0u; }
