/*
 * ascii.h - character helpers the parsers share.
 */
#ifndef RTPROAM_LIB_ASCII_H
#define RTPROAM_LIB_ASCII_H

#include <stdbool.h>
#include <stddef.h>

/* The value of a hexadecimal digit, or -1. */
static inline int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A node id or HA group (len bytes): it names Redis keys, so no glob,
 * space or separator characters: 1..64 of A-Z a-z 0-9 . _ -
 */
static inline bool
ascii_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		    s[i] == '-'))
			return false;
	return true;
}

#endif
