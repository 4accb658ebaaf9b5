/*
 * dynlib.h - optional libraries, loaded when a feature that needs them is
 * configured.
 *
 * Metrics (libmicrohttpd, which brings gnutls, p11-kit, nettle, gmp...)
 * and recording (libpcap, which brings dbus and libsystemd) load 19
 * libraries and 3.4 MB of resident pages into every process that links
 * them, before main() runs. A relay that serves neither has no use for
 * them, nor for their constructors and attack surface. So rtproam is
 * compiled against their headers, which keeps every call type-checked,
 * and opens them by their SONAME (found by CMake at build time) only
 * when --metrics or --record-dir is given.
 */
#ifndef RTPROAM_DYNLIB_H
#define RTPROAM_DYNLIB_H

#include <stddef.h>

/* One function to look up, and where to store its address. */
struct dynlib_sym {
	const char	*name;
	void		*slot;		/* &the_function_pointer */
};

/*
 * dlopen `soname` and fill every slot. All or nothing: on failure no slot
 * is written, err says which library or symbol is missing, and -1 is
 * returned. The library stays loaded for the life of the process.
 */
int	dynlib_load(const char *soname, const struct dynlib_sym *syms, size_t n,
	    char *err, size_t errlen);

#endif
