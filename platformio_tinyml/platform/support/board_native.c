/* Board support for the host (`native`) board: no instruction counter there. */
#include "tinyml_board.h"

uint64_t tinyml_instructions(void) { return 0u; }
