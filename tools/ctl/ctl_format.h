/*
 * ctl_format.h - rtproam-ctl's pure helpers: splitting the relay's I and
 * Il replies, what its error codes mean, and JSON and table output.
 * No sockets here; the parsers cut their input in place.
 */
#ifndef RTPROAM_CTL_FORMAT_H
#define RTPROAM_CTL_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

/* One "name: value" line of an I reply. */
struct kv {
	char	*key;
	char	*val;
};

/* Fields of one `Il` line, in the order the relay prints them. */
enum { L_CALL, L_MEDIA, L_TAGS, L_PORTS, L_PEERS, L_RTCP, L_PKTS, L_RELAYED,
	L_DROPPED, L_HANDOVERS, L_TTL, NLIST };

/* Each value points into the parsed text; "-" when the relay left it out. */
struct row {
	char	*v[NLIST];
};

/*
 * Split the "name: value" lines at the start of text (an I reply), at
 * most max. *rest gets the first line of another shape (the listing of
 * an `Il` reply), or NULL. Returns the number of pairs.
 */
unsigned ctl_parse_kv(char *text, struct kv *kv, unsigned max, char **rest);
/*
 * Split the media lines of a listing into rows, at most max. *more gets
 * the media the relay left out of a full reply, plus those beyond max.
 */
unsigned ctl_parse_list(char *text, struct row *rows, unsigned max,
	    unsigned long *more);
/* The listing as an aligned table, or as a JSON array of objects. */
void	 ctl_print_list(FILE *f, struct row *rows, unsigned n, bool json);
/* "a/o" split into its halves; o is "-" when there is no slash. */
void	 ctl_split_pair(const char *s, char *a, char *o, size_t len);

/* What E<code> means. */
const char *ctl_error_text(long code);

/* An optionally signed decimal integer and nothing else. */
bool	 ctl_is_int(const char *s);
/* A JSON string; as a key, spaces become '_' ("sessions created"). */
void	 ctl_json_str(FILE *f, const char *s, bool key);
/* An integer as a number, "-" (the relay's "none") as null, else a string. */
void	 ctl_json_val(FILE *f, const char *s);
/* "x/y", one value per side, as a JSON pair; a single value alone. */
void	 ctl_json_pair(FILE *f, const char *s);

#endif
