/* Board support for the host (`native`) board: no instruction counter or stack measurement. */
#include "tinyml_board.h"

uint64_t tinyml_instructions(void) { return 0u; }

size_t tinyml_stack_size(void) { return 0u; }

size_t tinyml_stack_used(void) { return 0u; }
