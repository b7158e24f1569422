/* platformio-tinyml golden test: samples and TFLite Micro's expected outputs are generated at build time. */
#include "tinyml_golden_test.c"
