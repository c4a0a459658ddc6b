#ifndef SCRM_FUZZER_SHIM_H
#define SCRM_FUZZER_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver (libclang_rt.fuzzer, linked by -sanitize=fuzzer). A target calls it from its own main,
   because SwiftPM points main at the module's entry function, so libFuzzer's main is never linked.
   Only declared here: nothing references it unless the target is built with -DFUZZING. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
