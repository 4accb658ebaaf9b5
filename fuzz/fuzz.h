/*
 * fuzz.h - what every libFuzzer target in this directory shares.
 *
 * FUZZ_CHECK is for the properties a target asserts beyond "no memory
 * error": it aborts, which libFuzzer reports as a crash and saves the
 * input. assert() would vanish under -DNDEBUG.
 */
#ifndef RTPROAM_FUZZ_H
#define RTPROAM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
