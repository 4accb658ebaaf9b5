/*
 * ctl_format.c - rtproam-ctl's pure helpers (see ctl_format.h).
 */
#include "ctl_format.h"

#include <stdlib.h>
#include <string.h>

static const char *const list_keys[NLIST] = { "call", "media", "tags",
    "ports", "peers", "rtcp", "pkts", "relayed", "dropped", "handovers",
    "ttl" };
static const char *const list_head[NLIST] = { "CALL", "MEDIA", "TAGS",
    "PORTS", "PEERS", "RTCP PEERS", "PKTS IN A/O", "RELAYED", "DROPPED",
    "HANDOVERS", "TTL" };

/* The relay's E<n> codes (src/ctl_parse.h) in an operator's words. */
static const struct {
	long		 code;
	const char	*text;
} errors[] = {
	{ 0, "unknown command" },	{ 1, "wrong number of arguments" },
	{ 2, "bad modifier" },		{ 3, "sub-command not allowed here" },
	{ 5, "syntax error" },		{ 7, "out of ports" },
	{ 12, "bad notify tag" },	{ 13, "bad Z (ptime) modifier" },
	{ 14, "bad codec list" },	{ 15, "bad local address" },
	{ 25, "command or reply too long" },	{ 31, "bad argument" },
	{ 32, "bad media number" },	{ 35, "bad modifier" },
	{ 36, "no local address of that family" },
	{ 37, "bad address or port" },	{ 50, "no such session" },
	{ 60, "playback not supported" },
	{ 62, "query failed (unknown field name)" },
	{ 65, "recording not supported" },	{ 81, "relay out of memory" },
	{ 98, "overloaded (--max-calls reached)" },	{ 99, "shutting down" },
};

const char *
ctl_error_text(long code)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == code)
			return errors[i].text;
	return "unknown error code";
}

unsigned
ctl_parse_kv(char *text, struct kv *kv, unsigned max, char **rest)
{
	char *line = text, *nl, *colon;
	unsigned n = 0;

	for (*rest = NULL; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		colon = strstr(line, ": ");
		if (colon == NULL || n == max || (nl != NULL && colon > nl)) {
			*rest = line;
			break;
		}
		if (nl != NULL)
			*nl++ = '\0';
		*colon = '\0';
		kv[n].key = line;
		kv[n++].val = colon + 2;
	}
	return n;
}

unsigned
ctl_parse_list(char *text, struct row *rows, unsigned max, unsigned long *more)
{
	char *line, *nl, *tok, *save, *eq;
	unsigned n = 0, k;

	*more = 0;
	for (line = text; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		/* The reply was full: the relay says how many it left out. */
		if (strncmp(line, "more=", 5) == 0) {
			*more += strtoul(line + 5, NULL, 10);
			continue;
		}
		if (strncmp(line, "call=", 5) != 0)
			continue;
		if (n == max) {
			(*more)++;
			continue;
		}
		for (k = 0; k < NLIST; k++)
			rows[n].v[k] = "-";
		/* Call-IDs and tags hold no blanks: the protocol splits on them. */
		for (tok = strtok_r(line, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			if ((eq = strchr(tok, '=')) == NULL)
				continue;
			*eq = '\0';
			for (k = 0; k < NLIST; k++)
				if (strcmp(tok, list_keys[k]) == 0)
					rows[n].v[k] = eq + 1;
		}
		n++;
	}
	return n;
}

void
ctl_print_list(FILE *f, struct row *rows, unsigned n, bool json)
{
	const char *v;
	int w[NLIST];
	unsigned r, k;

	if (json) {
		fputc('[', f);
		for (r = 0; r < n; r++) {
			fputs(r ? ",{" : "{", f);
			for (k = 0; k < NLIST; k++) {
				fprintf(f, "%s\"%s\":", k ? "," : "", list_keys[k]);
				if (k == L_CALL)
					ctl_json_str(f, rows[r].v[k], false);
				else
					ctl_json_pair(f, rows[r].v[k]);
			}
			fputc('}', f);
		}
		fputs("]\n", f);
		return;
	}
	for (k = 0; k < NLIST; k++) {
		w[k] = (int)strlen(list_head[k]);
		for (r = 0; r < n; r++)
			if ((int)strlen(rows[r].v[k]) > w[k])
				w[k] = (int)strlen(rows[r].v[k]);
	}
	for (r = 0; r <= n; r++) {
		for (k = 0; k < NLIST; k++) {
			v = r == 0 ? list_head[k] : rows[r - 1].v[k];
			/* The last column unpadded: no trailing blanks. */
			fprintf(f, "%s%-*s", k ? "  " : "",
			    k + 1 < NLIST ? w[k] : 0, v);
		}
		fputc('\n', f);
	}
	if (n == 0)
		fputs("(no calls)\n", f);
}

void
ctl_split_pair(const char *s, char *a, char *o, size_t len)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= len)
		n = len - 1;
	memcpy(a, s, n);
	a[n] = '\0';
	snprintf(o, len, "%s", slash ? slash + 1 : "-");
}

bool
ctl_is_int(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

void
ctl_json_str(FILE *f, const char *s, bool key)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (key && *p == ' ')
			fputc('_', f);
		else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void
ctl_json_val(FILE *f, const char *s)
{
	if (ctl_is_int(s))
		fputs(s, f);
	else if (strcmp(s, "-") == 0)
		fputs("null", f);
	else
		ctl_json_str(f, s, false);
}

void
ctl_json_pair(FILE *f, const char *s)
{
	char a[256], o[256];

	if (strchr(s, '/') == NULL) {
		ctl_json_val(f, s);
		return;
	}
	ctl_split_pair(s, a, o, sizeof(a));
	fputc('[', f);
	ctl_json_val(f, a);
	fputc(',', f);
	ctl_json_val(f, o);
	fputc(']', f);
}
