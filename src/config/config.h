/*
 * config.h - the daemon's settings, filled from the command line.
 *
 * rtpproxy's letters keep their meaning (-l -6 -s -m -M -T -W -n -f -F -d
 * -p -u), so an rtpproxy command line works unchanged; every setting also
 * has a long option. A config file (-c, config_file.h) is read as the long
 * options its keys name, parsed here before the command line.
 */
#ifndef RTPROAM_CONFIG_H
#define RTPROAM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "lib/addr.h"
#include "media/proc/jbuf.h"
#include "media/latch.h"

#define CONFIG_MAX_CTL		8
#define CONFIG_MAX_NOTIFY	8
#define CONFIG_MAX_IFACES	2

/*
 * Where verified streams are forwarded. Off by default: the kernel path
 * needs privileges at start that a relay otherwise gives up (CAP_BPF,
 * CAP_NET_ADMIN), it changes the host's tc ingress of the media
 * interfaces, and the socket path is the one every test suite covers; an
 * operator who wants the CPU back asks for it and sees it fail loudly
 * (one log line, then sockets) where the kernel or container says no.
 */
enum fast_path_mode {
	FAST_PATH_OFF = 0,
	FAST_PATH_EBPF,
};

struct config {
	/*
	 * Media interfaces. ifaces[0] is the first -l address (the `I`
	 * modifier), ifaces[1] the second (`E`). advertised[] is what replies
	 * carry when the relay is behind NAT (-l addr:advertised... see
	 * --advertise); unset means the interface address itself.
	 */
	struct addr	 ifaces[CONFIG_MAX_IFACES];
	struct addr	 advertised[CONFIG_MAX_IFACES];
	unsigned	 nifaces;
	struct addr	 iface6;		/* -6: IPv6 address for `6` legs without I/E */
	bool		 have_iface6;

	const char	*ctl[CONFIG_MAX_CTL];	/* udp:H:P udp6:H:P unix:P tcp:H:P cunix:P */
	unsigned	 nctl;
	const char	*ng[CONFIG_MAX_CTL];	/* rtpengine's ng protocol: udp:, udp6:, tcp: */
	unsigned	 nng;
	unsigned	 delete_delay_s;	/* ng delete: media flows this long, then goes */
	const char	*notify[CONFIG_MAX_NOTIFY]; /* permitted timeout targets */
	unsigned	 nnotify;

	uint16_t	 port_min, port_max;
	unsigned	 ttl_s;			/* -T: no media for this long ends a call */
	unsigned	 setup_ttl_s;		/* -W: same, before the answer (L) */
	unsigned	 max_calls;		/* 0 = unlimited */
	unsigned	 max_cmd_rate;		/* control commands a second; 0 = unlimited */
	unsigned	 workers;		/* 0 = one per core */
	bool		 affinity;		/* pin workers to cores */

	bool		 foreground;
	bool		 no_root_check;
	int		 log_level;
	const char	*log_target;		/* stderr, syslog, or a path */
	const char	*pidfile;
	const char	*user;			/* drop to this user (and its group) */
	const char	*metrics;		/* HOST:PORT for /metrics, or NULL */
	const char	*record_dir;		/* where R writes pcap files, or NULL */
	const char	*config_file;		/* -c: INI file read before argv */
	enum fast_path_mode fast_path;		/* --fast-path */

	/* HA (store/): NULL redis = no Redis code runs at all. */
	const char	*redis;			/* redis://... or unix:... */
	const char	*redis_password_file;
	const char	*node_id;		/* who writes (the record's `own`) */
	const char	*ha_group;		/* key space rtproam:<group>: [node_id] */
	bool		 ha_standby;		/* --ha standby */
	unsigned	 ha_lease_ms;
	unsigned	 redis_refresh_s;
	unsigned	 redis_ttl_s;
	bool		 freebind;		/* IP_FREEBIND on every socket */

	struct latch_config latch;
	struct jbuf_config jb;			/* mode JBUF_OFF unless asked for */
};

/* Defaults: what `rtproam -f` alone does. */
void	config_default(struct config *c);

/*
 * Parse argv into *c. Returns 0 to run, 1 when the caller should exit 0
 * (--help, --version were printed), -1 on a usage error with a message
 * in err (size errlen).
 */
int	config_parse(struct config *c, int argc, char **argv, char *err, size_t errlen);

/*
 * config_parse() in two halves, for layering: config_parse_args() reads
 * options into *c (same return values) and may run several times, later
 * argv overriding earlier (a list option -s/-n given in one argv replaces
 * the list an earlier one built); config_finish() then fills what was left
 * unset and checks the settings as a whole (0, or -1 with err).
 */
int	config_parse_args(struct config *c, int argc, char **argv, char *err,
	    size_t errlen);
int	config_finish(struct config *c, char *err, size_t errlen);

/* What a long option (exact name, no dashes) is, for the config file. */
enum config_opt_kind {
	CONFIG_OPT_NONE,	/* no such option */
	CONFIG_OPT_FLAG,	/* takes no value */
	CONFIG_OPT_VALUE,	/* takes one value */
	CONFIG_OPT_LIST,	/* takes one value and may repeat */
	CONFIG_OPT_CMDLINE,	/* meaningful on the command line only */
};
enum config_opt_kind config_option_kind(const char *name);

void	config_usage(FILE *out, const char *prog);

/* Calls the port range can hold: each has 2 legs of an RTP/RTCP pair. */
static inline unsigned
config_range_calls(const struct config *c)
{
	return (c->port_max - c->port_min + 1u) / 4;
}

#endif
