/*
 * dynlib.c - dlopen() and dlsym() for the optional libraries (dynlib.h).
 */
#include "lib/dynlib.h"

#include <assert.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* POSIX requires it for dlsym(); we copy object pointers into function pointers. */
static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "function and object pointers differ in size");

#define DYNLIB_MAX_SYMS	32

int
dynlib_load(const char *soname, const struct dynlib_sym *syms, size_t n,
    char *err, size_t errlen)
{
	void *handle, *found[DYNLIB_MAX_SYMS];
	const char *why;
	size_t i;

	if (n > DYNLIB_MAX_SYMS) {
		snprintf(err, errlen, "%s: %zu symbols, at most %d", soname, n,
		    DYNLIB_MAX_SYMS);
		return -1;
	}
	if ((handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "%s", why ? why : soname);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((found[i] = dlsym(handle, syms[i].name)) == NULL) {
			snprintf(err, errlen, "%s: no symbol %s", soname, syms[i].name);
			dlclose(handle);
			return -1;
		}
	}
	/* memcpy: the slots are function pointers, dlsym gives void *. */
	for (i = 0; i < n; i++)
		memcpy(syms[i].slot, &found[i], sizeof(found[i]));
	return 0;
}
