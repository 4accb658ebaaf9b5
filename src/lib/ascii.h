/*
 * ascii.h - character helpers the parsers share.
 */
#ifndef RTPROAM_LIB_ASCII_H
#define RTPROAM_LIB_ASCII_H

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

#endif
