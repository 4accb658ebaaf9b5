/*
 * textbuf.h - append formatted text to a fixed buffer, failing cleanly
 * instead of truncating: metrics and histograms build their output this way.
 */
#ifndef RTPROAM_TEXTBUF_H
#define RTPROAM_TEXTBUF_H

#include <stddef.h>
#include <stdint.h>

/* Append at buf + *off (buf holds len bytes). Returns 0, or -1 if it did not fit. */
int	textbuf_printf(char *buf, size_t len, size_t *off, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Append n bytes (binary-safe, no NUL added). Returns 0, or -1 if they did not fit. */
int	textbuf_put(char *buf, size_t len, size_t *off, const void *s, size_t n);

/* One Prometheus sample with its HELP and TYPE lines (metrics, store report). */
int	textbuf_metric(char *buf, size_t len, size_t *off, const char *name,
	    const char *type, const char *help, uint64_t v);

#endif
