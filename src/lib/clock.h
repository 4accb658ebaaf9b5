/*
 * clock.h - monotonic time in microseconds and milliseconds.
 */
#ifndef RTPROAM_LIB_CLOCK_H
#define RTPROAM_LIB_CLOCK_H

#include <stdint.h>

uint64_t now_ms(void);
uint64_t now_us(void);

#endif
