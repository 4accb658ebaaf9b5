/*
 * config_file.c - the INI config file, read with inih into long options.
 *
 * inih does the INI syntax; what a key means is config.c's business: a key
 * is valid when config_option_kind() knows it, and a value when
 * config_parse_args() accepts it. Each value is tried alone as soon as it
 * is read, so that a bad one is reported with its line.
 */
#include "config/config_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#define SECTION		"rtproam"
#define MAX_SEEN	64	/* distinct single-valued keys: more than exist */

/* Hands inih one line at a time, counting them. */
struct reader {
	FILE	*f;
	int	 line;		/* number of the line inih holds now */
	int	 too_long;	/* line that did not fit inih's buffer, or 0 */
};

struct seen_key {
	char	 name[32];
	int	 line;
};

struct file_state {
	const char		*path;
	const char		*prog;
	struct reader		 rd;
	struct config_argv	*out;
	size_t			 cap;
	struct seen_key		 seen[MAX_SEEN];
	size_t			 nseen;
	int			 err_line;	/* of the first error, 0 if none */
	char			*err;
	size_t			 errlen;
};

static void	fail(struct file_state *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Keeps the first error only: later ones are often its consequences. */
static void
fail(struct file_state *st, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (st->err_line != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->err_line = st->rd.line > 0 ? st->rd.line : 1;
	snprintf(st->err, st->errlen, "%s:%d: %s", st->path, st->err_line, msg);
}

static char *
read_line(char *str, int num, void *stream)
{
	struct file_state *st = stream;
	struct reader *rd = &st->rd;
	size_t n;
	char *p, *end;

	if (rd->too_long != 0 || fgets(str, num, rd->f) == NULL)
		return NULL;
	rd->line++;
	n = strlen(str);
	if (n > 0 && str[n - 1] != '\n') {
		/* Cut short by the buffer, unless the file ends right here. */
		if (getc(rd->f) != EOF) {
			rd->too_long = rd->line;
			return NULL;
		}
	}
	/*
	 * Leading blanks go: inih would read an indented line as more of the
	 * previous key's value, and a key silently swallowed that way is
	 * worse than an error.
	 */
	p = str + strspn(str, " \t");
	memmove(str, p, strlen(p) + 1);
	/* Sections are checked here, where their own line is known. */
	if (str[0] == '[' && (end = strchr(str, ']')) != NULL) {
		*end = '\0';
		if (strcmp(str + 1, SECTION) != 0)
			fail(st, "unknown section [%s] (only [" SECTION "] is "
			    "allowed)", str + 1);
		*end = ']';
	}
	return str;
}

static int
parse_bool(const char *v)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

static int
append_arg(struct config_argv *a, size_t *cap, char *arg)
{
	char **nv;
	size_t ncap;

	/* Room for arg and the terminating NULL. */
	if ((size_t)a->argc + 2 > *cap) {
		ncap = *cap ? *cap * 2 : 16;
		if ((nv = realloc(a->argv, ncap * sizeof(*nv))) == NULL)
			return -1;
		a->argv = nv;
		*cap = ncap;
	}
	a->argv[a->argc++] = arg;
	a->argv[a->argc] = NULL;
	return 0;
}

/* Was this single-valued key given before? Records it if not. */
static bool
seen_before(struct file_state *st, const char *name, int *line)
{
	size_t i;

	for (i = 0; i < st->nseen; i++) {
		if (strcmp(st->seen[i].name, name) == 0) {
			*line = st->seen[i].line;
			return true;
		}
	}
	if (st->nseen < MAX_SEEN) {
		snprintf(st->seen[st->nseen].name, sizeof(st->seen[0].name),
		    "%s", name);
		st->seen[st->nseen++].line = st->rd.line;
	}
	return false;
}

/* inih's handler: nonzero to go on. Errors are kept in st. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct file_state *st = user;
	struct config scratch;
	enum config_opt_kind kind;
	char *arg, *argv[3], msg[256], *p;
	int b, first = 0;

	if (section[0] != '\0' && strcmp(section, SECTION) != 0)
		return 0;	/* reported by read_line at the section */
	kind = config_option_kind(name);
	if (kind == CONFIG_OPT_NONE) {
		fail(st, "unknown key '%s'", name);
		return 0;
	}
	if (kind == CONFIG_OPT_CMDLINE) {
		fail(st, "'%s' is for the command line only", name);
		return 0;
	}
	if (value[0] == '\0') {
		fail(st, "%s: no value", name);
		return 0;
	}
	if (kind != CONFIG_OPT_LIST && seen_before(st, name, &first)) {
		fail(st, "%s: given twice (first on line %d)", name, first);
		return 0;
	}
	if (kind == CONFIG_OPT_FLAG) {
		if ((b = parse_bool(value)) < 0) {
			fail(st, "%s: yes or no, not '%s'", name, value);
			return 0;
		}
		if (b == 0)
			return 1;
		b = asprintf(&arg, "--%s", name);
	} else
		b = asprintf(&arg, "--%s=%s", name, value);
	if (b < 0) {
		fail(st, "out of memory");
		return 0;
	}

	/* The value alone, through the one parser that knows its meaning. */
	argv[0] = (char *)st->prog;
	argv[1] = arg;
	argv[2] = NULL;
	config_default(&scratch);
	if (config_parse_args(&scratch, 2, argv, msg, sizeof(msg)) != 0) {
		/* "-m: port must be..." reads better as "port-min: port...". */
		p = strstr(msg, ": ");
		fail(st, "%s: %s", name, p != NULL ? p + 2 : msg);
		free(arg);
		return 0;
	}
	if (append_arg(st->out, &st->cap, arg) != 0) {
		fail(st, "out of memory");
		free(arg);
		return 0;
	}
	return 1;
}

void
config_argv_free(struct config_argv *a)
{
	int i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

int
config_file_read(const char *path, const char *prog, struct config_argv *out,
    char *err, size_t errlen)
{
	struct file_state st;
	char *arg0;
	int rc;

	out->argc = 0;
	out->argv = NULL;
	memset(&st, 0, sizeof(st));
	st.path = path;
	st.prog = prog;
	st.out = out;
	st.err = err;
	st.errlen = errlen;

	if ((arg0 = strdup(prog)) == NULL || append_arg(out, &st.cap, arg0) != 0) {
		free(arg0);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if ((st.rd.f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		config_argv_free(out);
		return -1;
	}
	rc = ini_parse_stream(read_line, &st, on_key, &st);
	if (rc == -2) {
		st.err_line = 0;
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -1;
	} else if (rc > 0 && (st.err_line == 0 || rc < st.err_line)) {
		/* inih's own complaint: a line that is neither key nor section. */
		snprintf(err, errlen, "%s:%d: expected 'key = value' or "
		    "'[" SECTION "]'", path, rc);
	} else if (st.rd.too_long != 0 &&
	    (st.err_line == 0 || st.rd.too_long < st.err_line)) {
		snprintf(err, errlen, "%s:%d: line too long", path,
		    st.rd.too_long);
		rc = -1;
	} else if (st.err_line != 0) {
		rc = -1;	/* err already holds the message */
	} else if (ferror(st.rd.f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	if (fclose(st.rd.f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc != 0) {
		config_argv_free(out);
		return -1;
	}
	return 0;
}

int
config_load(struct config *c, int argc, char **argv, struct config_argv *file,
    char *err, size_t errlen)
{
	const char *path;
	char msg[256];
	int rc;

	file->argc = 0;
	file->argv = NULL;
	/* A first look at the command line, for -c (and --help, mistakes). */
	config_default(c);
	if ((rc = config_parse_args(c, argc, argv, err, errlen)) != 0)
		return rc;
	if ((path = c->config_file) == NULL)
		return config_finish(c, err, errlen);

	if (config_file_read(path, argv[0], file, err, errlen) != 0)
		return -1;
	config_default(c);
	if (config_parse_args(c, file->argc, file->argv, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		config_argv_free(file);
		return -1;
	}
	/* The command line again, this time over the file. */
	if ((rc = config_parse(c, argc, argv, err, errlen)) != 0)
		config_argv_free(file);
	return rc;
}
