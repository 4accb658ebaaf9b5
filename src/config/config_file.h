/*
 * config_file.h - the optional INI config file (-c PATH).
 *
 * The file is not a second language for settings: each key is a long
 * option's exact name and is turned into that option ("port-min = 35000"
 * becomes "--port-min=35000", "foreground = yes" becomes "--foreground",
 * "no" leaves it out), and config_parse_args() reads the result before the
 * command line. So the command line overrides the file, and config.c stays
 * the one place that knows what a setting means.
 *
 *	; comments start with ; or # (or " ;" after a value)
 *	[rtproam]		; optional, and the only section allowed
 *	listen = 203.0.113.10
 *	control = udp:127.0.0.1:22222
 *	control = unix:/run/rtproam/rtproam.sock	; lists repeat the key
 *	foreground = yes
 *
 * Unknown sections and keys, a key given twice (other than a list), an
 * empty value, a bad boolean and a value config.c refuses are errors
 * reported as "path:line: message".
 */
#ifndef RTPROAM_CONFIG_FILE_H
#define RTPROAM_CONFIG_FILE_H

#include <stddef.h>

#include "config/config.h"

/*
 * A file as an argv: argv[0] is the program name, then one "--key[=value]"
 * per setting, NULL-terminated. The settings a config holds after parsing
 * it point into these strings: keep it until the config is done with.
 */
struct config_argv {
	int	  argc;
	char	**argv;
};

/* Read path into *out. 0, or -1 with "path:line: message" in err. */
int	config_file_read(const char *path, const char *prog,
	    struct config_argv *out, char *err, size_t errlen);
void	config_argv_free(struct config_argv *a);

/*
 * What the daemon does with its command line: defaults, then the file named
 * by -c (if any), then argv over it, then config_finish(). Return values as
 * config_parse(); *file holds the file's argv (empty without -c) and must be
 * freed with config_argv_free() once *c is no longer used.
 */
int	config_load(struct config *c, int argc, char **argv,
	    struct config_argv *file, char *err, size_t errlen);

#endif
