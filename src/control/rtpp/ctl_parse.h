/*
 * ctl_parse.h - the rtpproxy control protocol, parsed into a plain struct.
 *
 * Pure: takes the bytes of one command, returns a struct ctl_cmd whose
 * strings point into the caller's buffer, or an rtpproxy error code.
 * The meaning of each command is in docs/protocol.md; the dispatcher
 * (ctl_rtpp.c) acts on the parsed command.
 */
#ifndef RTPROAM_CTL_PARSE_H
#define RTPROAM_CTL_PARSE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/rtp.h"

#define CTL_MAX_TOKENS	24
#define CTL_MAX_CMD	8192	/* bytes */
#define CTL_MAX_QNAMES	16
#define CTL_PLAY_FOREVER	UINT_MAX	/* P-1: loop until S */

/*
 * Error codes (the `E<n>` replies). Modern sippy numbering, except that
 * 7..10 are kept for "no resources here, try another relay": OpenSIPS
 * takes a node out of service on those, so syntax errors never use them.
 */
enum ctl_err {
	CTL_OK		= -1,	/* not an error */
	E_UNKNOWN_CMD	= 0,
	E_ARGC		= 1,
	E_MODIFIER	= 2,
	E_SUBCMD	= 3,
	E_SYNTAX	= 5,	/* generic malformed token */
	E_NO_PORTS	= 7,	/* port range exhausted: try another relay */
	E_NOTIFY_TAG	= 12,	/* notify tag: bad %-encoding (sippy says 10) */
	E_BAD_Z		= 13,
	E_BAD_CLIST	= 14,
	E_BAD_LADDR	= 15,
	E_TOO_BIG	= 25,
	E_BAD_ARG	= 31,
	E_BAD_MEDIA_NUM	= 32,	/* ";N" is not a number */
	E_BAD_MODIFIER	= 35,
	E_NO_LOCAL_AF	= 36,	/* no listen address of that family */
	E_BAD_ADDR	= 37,	/* remote address or port unparsable */
	E_NO_SESSION	= 50,
	E_QUERY		= 62,
	E_RECORD	= 65,	/* recording failed or not configured */
	E_NOMEM		= 81,
	E_OVERLOAD	= 98,	/* max calls reached: try another relay */
	E_SHUTDOWN	= 99,
};

enum ctl_op {
	CTL_NONE = 0,
	CTL_V,		/* V: protocol version */
	CTL_VF,		/* VF <yyyymmdd>: capability probe */
	CTL_U,		/* update/create */
	CTL_L,		/* lookup */
	CTL_D,		/* delete */
	CTL_Q,		/* query */
	CTL_I,		/* info */
	CTL_X,		/* delete all */
	CTL_G,		/* counters */
	CTL_R,		/* record */
	CTL_C,		/* copy */
	CTL_N,		/* stop copy */
	CTL_P,		/* play */
	CTL_S,		/* stop play */
};

struct ctl_str {
	const char	*p;	/* not NUL-terminated */
	size_t		 len;
};

/* A tag with its optional ";N" media number (0 = bare tag, all media). */
struct ctl_tag {
	struct ctl_str	tag;
	unsigned	media;
};

struct ctl_mods {
	bool		asymmetric;	/* A */
	bool		symmetric;	/* S */
	bool		weak;		/* W */
	bool		ipv6;		/* 6 */
	bool		new_port;	/* N */
	char		iface[2];	/* I/E in order given, '\0' = none */
	unsigned	zptime;		/* Z<ms>, 0 = none */
	struct pt_set	pts;		/* c<list>; .any when absent */
	unsigned	npts;
	uint8_t		pt_list[32];	/* in the order given (first 32; pts has all) */
	int		handover;	/* H<0|1|2>: latch policy for this call, -1 = default */
	int		jitterbuf;	/* J<0|1|2>: off/fixed/adaptive for this call, -1 = default */
	bool		verbose;	/* Q v, I b/l, D w (weak) */
	bool		ttl_set;	/* T<n>/t<n> (OpenSIPS), parsed and ignored */
};

struct ctl_cmd {
	enum ctl_op	op;
	char		letter;		/* the command letter as sent */
	struct ctl_str	modifiers;	/* rest of the command token */
	struct ctl_mods	mods;

	struct ctl_str	callid;
	struct ctl_str	addr;		/* U/L remote address */
	uint16_t	port;		/* U/L remote port (0 allowed = disabled m= line) */
	struct ctl_tag	from;		/* first tag */
	struct ctl_tag	to;		/* second tag; to.tag.len == 0 when absent */
	struct ctl_str	notify_socket;	/* U: timeout notification target */
	struct ctl_str	notify_tag;	/* U: raw (still %-encoded) tag */

	struct ctl_str	vf_date;	/* VF argument */
	struct ctl_str	qnames[CTL_MAX_QNAMES];	/* Q named fields */
	unsigned	nqnames;
	struct ctl_str	copy_target;	/* C target */
	struct ctl_str	play_prompt;	/* P prompt */
	struct ctl_str	play_codecs;	/* P codecs or "session" */
	unsigned	play_count;	/* P<n>; 1 when absent */

	bool		has_subcmd;	/* an "&&" token followed (OpenSIPS) */
};

/*
 * Split a UDP datagram into its cookie and the command. The cookie is the
 * first token; `*cmd` points just past the whitespace that follows it, and
 * may be empty (*cmdlen 0): a controller that sent a cookie gets an error
 * reply for whatever follows, never silence. Returns 0, or -1 when there is
 * no cookie (no reply could be matched: the datagram is dropped, counted).
 */
int	ctl_split_cookie(const char *buf, size_t len, struct ctl_str *cookie,
	    const char **cmd, size_t *cmdlen);

/*
 * Parse one command (no cookie). Returns CTL_OK and fills *out, or an
 * error code. Never reads beyond buf[len-1]; the buffer need not be
 * NUL-terminated. Unknown modifier letters on U/L are ignored (OpenSIPS
 * passes script flags through), except that letters taking an argument
 * (Z, c, l, R, T, t) must be well-formed.
 */
int	ctl_parse(const char *buf, size_t len, struct ctl_cmd *out);

/* The number to put after `E` in the reply. */
int	ctl_err_code(int err);

/*
 * Percent-decode a notify tag into dst (size dstlen, NUL-terminated).
 * Returns the decoded length, or -1 on bad encoding or overflow. A
 * decoded NUL, CR or LF counts as bad: the tag goes to a line-based socket.
 */
int	ctl_url_decode(const struct ctl_str *in, char *dst, size_t dstlen);

/*
 * Client side (tools, benchmarks): a U/L reply "<port> [<addr> [4|6]]" to
 * the relay endpoint it names; a bare port means the relay's own address,
 * `dflt_host`. Returns 0, or -1 for an error reply or port 0.
 */
struct addr;
int	ctl_parse_port_reply(const char *body, const char *dflt_host, struct addr *out);

/* Compare helpers for struct ctl_str. */
bool	ctl_str_eq(const struct ctl_str *a, const char *b, size_t blen);

#endif
