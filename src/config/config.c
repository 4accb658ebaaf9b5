/*
 * config.c - command line parsing. Pure apart from printing --help.
 */
#include "config/config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ascii.h"
#include "lib/log.h"

enum {
	OPT_WORKERS = 256, OPT_AFFINITY, OPT_MAX_CALLS, OPT_HANDOVER,
	OPT_SWITCH_PKTS, OPT_BUSY_PKTS, OPT_PROBATION_PKTS, OPT_HOLD_PKTS, OPT_GUARD_MS,
	OPT_PTIME, OPT_SEQ_SLACK, OPT_SWITCH_INTERVAL, OPT_MAX_SWITCHES,
	OPT_LOG, OPT_METRICS, OPT_JB, OPT_JB_DEPTH, OPT_JB_MAX,
	OPT_MAX_CMD_RATE, OPT_RECORD_DIR, OPT_NG, OPT_DELETE_DELAY,
	OPT_REDIS, OPT_REDIS_PASSWORD_FILE, OPT_NODE_ID, OPT_REDIS_REFRESH,
	OPT_REDIS_TTL, OPT_HA, OPT_HA_GROUP, OPT_HA_LEASE, OPT_FREEBIND,
	OPT_FAST_PATH,
};

static const struct option long_options[] = {
	{ "listen",		required_argument, NULL, 'l' },
	{ "listen6",		required_argument, NULL, '6' },
	{ "advertise",		required_argument, NULL, 'A' },
	{ "control",		required_argument, NULL, 's' },
	{ "ng",			required_argument, NULL, OPT_NG },
	{ "delete-delay",	required_argument, NULL, OPT_DELETE_DELAY },
	{ "port-min",		required_argument, NULL, 'm' },
	{ "port-max",		required_argument, NULL, 'M' },
	{ "ttl",		required_argument, NULL, 'T' },
	{ "setup-ttl",		required_argument, NULL, 'W' },
	{ "notify",		required_argument, NULL, 'n' },
	{ "foreground",		no_argument,	   NULL, 'f' },
	{ "no-root-check",	no_argument,	   NULL, 'F' },
	{ "log-level",		required_argument, NULL, 'd' },
	{ "log",		required_argument, NULL, OPT_LOG },
	{ "pidfile",		required_argument, NULL, 'p' },
	{ "user",		required_argument, NULL, 'u' },
	{ "metrics",		required_argument, NULL, OPT_METRICS },
	{ "record-dir",		required_argument, NULL, OPT_RECORD_DIR },
	{ "jitter-buffer",	required_argument, NULL, OPT_JB },
	{ "jb-depth-ms",	required_argument, NULL, OPT_JB_DEPTH },
	{ "jb-max-ms",		required_argument, NULL, OPT_JB_MAX },
	{ "workers",		required_argument, NULL, OPT_WORKERS },
	{ "affinity",		no_argument,	   NULL, OPT_AFFINITY },
	{ "max-calls",		required_argument, NULL, OPT_MAX_CALLS },
	{ "max-cmd-rate",	required_argument, NULL, OPT_MAX_CMD_RATE },
	{ "handover",		required_argument, NULL, OPT_HANDOVER },
	{ "switch-packets",	required_argument, NULL, OPT_SWITCH_PKTS },
	{ "busy-packets",	required_argument, NULL, OPT_BUSY_PKTS },
	{ "probation-packets",	required_argument, NULL, OPT_PROBATION_PKTS },
	{ "hold-packets",	required_argument, NULL, OPT_HOLD_PKTS },
	{ "guard-ms",		required_argument, NULL, OPT_GUARD_MS },
	{ "ptime",		required_argument, NULL, OPT_PTIME },
	{ "seq-slack",		required_argument, NULL, OPT_SEQ_SLACK },
	{ "switch-interval-ms",	required_argument, NULL, OPT_SWITCH_INTERVAL },
	{ "max-switches-per-min", required_argument, NULL, OPT_MAX_SWITCHES },
	{ "redis",		required_argument, NULL, OPT_REDIS },
	{ "redis-password-file", required_argument, NULL, OPT_REDIS_PASSWORD_FILE },
	{ "node-id",		required_argument, NULL, OPT_NODE_ID },
	{ "redis-refresh",	required_argument, NULL, OPT_REDIS_REFRESH },
	{ "redis-ttl",		required_argument, NULL, OPT_REDIS_TTL },
	{ "ha",			required_argument, NULL, OPT_HA },
	{ "ha-group",		required_argument, NULL, OPT_HA_GROUP },
	{ "ha-lease-ms",	required_argument, NULL, OPT_HA_LEASE },
	{ "freebind",		no_argument,	   NULL, OPT_FREEBIND },
	{ "fast-path",		required_argument, NULL, OPT_FAST_PATH },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ "config",		required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 }
};

void
config_usage(FILE *out, const char *prog)
{
	fprintf(out,
"usage: %s [options]\n"
"RTP media relay with secure IP handover, driven by the rtpproxy protocol\n"
"and rtpengine's ng protocol.\n"
"\n"
"Media\n"
"  -l, --listen ADDR[/ADDR2]   media address(es); two for bridging (I/E)\n"
"                              [127.0.0.1]\n"
"  -6, --listen6 ADDR          IPv6 media address for `6` offers\n"
"  -A, --advertise ADDR[/ADDR2] address(es) put in replies (relay behind NAT)\n"
"  -m, --port-min N            lowest media port [35000]\n"
"  -M, --port-max N            highest media port [65000]\n"
"  -T, --ttl SECONDS           end a call after this long without media [60]\n"
"  -W, --setup-ttl SECONDS     the same before the call is answered [= -T]\n"
"      --max-calls N           refuse new calls beyond N (E98) [unlimited]\n"
"      --max-cmd-rate N        control commands a second, bursts of N; the\n"
"                              rest get E98 [unlimited]\n"
"      --workers N             relay threads [one per core]\n"
"      --affinity              pin each relay thread to a core\n"
"\n"
"Control\n"
"  -s, --control SOCKET        udp:HOST:PORT udp6:HOST:PORT unix:PATH\n"
"                              cunix:PATH tcp:HOST:PORT (repeatable)\n"
"                              [udp:127.0.0.1:22222 unless --ng is given]\n"
"      --ng SOCKET             rtpengine's ng protocol: udp:HOST:PORT\n"
"                              udp6:[ADDR]:PORT tcp:HOST:PORT (repeatable)\n"
"      --delete-delay SECONDS  ng delete: media flows this long first [30]\n"
"  -n, --notify TARGET         permitted timeout-notification target:\n"
"                              unix:PATH or tcp:HOST:PORT (repeatable)\n"
"      --metrics HOST:PORT     serve Prometheus metrics at /metrics\n"
"      --record-dir DIR        R/C record calls to pcap files here [off]\n"
"      --fast-path MODE        ebpf | off: forward verified streams in the\n"
"                              kernel (needs root or CAP_BPF+CAP_NET_ADMIN\n"
"                              at start, kernel 6.6+) [off]\n"
"\n"
"Handover (see README: Secure handover)\n"
"      --handover POLICY       off | ssrc | probation [probation]\n"
"      --switch-packets N      same-SSRC packets to switch [2]\n"
"      --busy-packets N        ... while the old path still delivers [10]\n"
"      --probation-packets N   new-SSRC packets to switch [10]\n"
"      --hold-packets N        a mover's evidence packets held, then sent\n"
"                              when it wins (0..4; 0: dropped) [4]\n"
"      --guard-ms MS           old-path silence before a new SSRC wins [200]\n"
"      --ptime MS              packet interval assumed for continuity [20]\n"
"      --seq-slack N           extra sequence distance tolerated [50]\n"
"      --switch-interval-ms MS minimum time between two switches [1000]\n"
"      --max-switches-per-min N  per leg [10]\n"
"\n"
"Media processing (per call: J0/J1/J2 and Z<ms> modifiers)\n"
"      --jitter-buffer MODE    off | fixed | adaptive, for every stream [off]\n"
"      --jb-depth-ms MS        fixed depth, adaptive start [40]\n"
"      --jb-max-ms MS          adaptive ceiling [150]\n"
"\n"
"High availability (see README: HA)\n"
"      --redis URL             keep call state in Redis: redis://[USER@]HOST:PORT[/DB]\n"
"                              or unix:PATH[?db=N]; the password comes from\n"
"                              --redis-password-file or RTPROAM_REDIS_PASSWORD\n"
"      --redis-password-file PATH  read the Redis password from this file\n"
"      --node-id ID            this relay's name in Redis [rtproam]\n"
"      --ha-group NAME         the calls' key space, shared by an active relay\n"
"                              and its standby [= --node-id]\n"
"      --ha MODE               active: own the group's calls at start (unless\n"
"                              another node holds its lease); standby: wait,\n"
"                              take over when the owner's lease expires [active]\n"
"      --ha-lease-ms MS        how long an owner's lease lasts unrenewed [3000]\n"
"      --freebind              bind sockets to addresses not (yet) on this\n"
"                              host (IP_FREEBIND): a service address that\n"
"                              keepalived moves\n"
"      --redis-refresh SECONDS rewrite live calls' evidence this often [30]\n"
"      --redis-ttl SECONDS     a record outlives its last refresh this long [600]\n"
"\n"
"Process\n"
"  -f, --foreground            do not daemonize\n"
"  -F, --no-root-check         allow running as root without -u\n"
"  -d, --log-level LEVEL       err warn notice info debug [info]\n"
"      --log TARGET            stderr, syslog or a file path [stderr in\n"
"                              foreground, syslog otherwise]\n"
"  -p, --pidfile PATH          write the PID here\n"
"  -u, --user USER[:GROUP]     drop privileges to USER after binding\n"
"  -c, --config PATH           read settings from this INI file first;\n"
"                              options given here override it\n"
"  -h, --help                  this text\n"
"  -V, --version               print the version\n",
	    prog);
}

void
config_default(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->port_min = 35000;
	c->port_max = 65000;
	c->ttl_s = 60;
	c->delete_delay_s = 30;		/* rtpengine's default */
	c->setup_ttl_s = 0;	/* 0: same as ttl */
	c->log_level = LOG_LVL_INFO;
	c->node_id = "rtproam";
	c->redis_refresh_s = 30;
	c->redis_ttl_s = 600;
	c->ha_lease_ms = 3000;
	latch_config_default(&c->latch);
	jbuf_config_default(&c->jb);
	c->jb.mode = JBUF_OFF;
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *ep;
	unsigned long v;

	if (*s == '\0' || *s == '-')
		return -1;
	v = strtoul(s, &ep, 10);
	if (*ep != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "A" or "A/B": one or two addresses into dst[]. */
static int
parse_addr_pair(const char *arg, struct addr *dst, unsigned *n)
{
	char buf[128], *slash;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (addr_parse(&dst[0], buf, 0, AF_UNSPEC) != 0)
		return -1;
	*n = 1;
	if (slash != NULL) {
		if (addr_parse(&dst[1], slash, 0, AF_UNSPEC) != 0)
			return -1;
		*n = 2;
	}
	return 0;
}

static bool
node_id_ok(const char *s)
{
	return ascii_name_ok(s, strlen(s));
}

#define USAGE_ERR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

enum config_opt_kind
config_option_kind(const char *name)
{
	const struct option *o;

	for (o = long_options; o->name != NULL; o++) {
		if (strcmp(o->name, name) != 0)
			continue;
		if (o->val == 'h' || o->val == 'V' || o->val == 'c')
			return CONFIG_OPT_CMDLINE;
		if (o->has_arg == no_argument)
			return CONFIG_OPT_FLAG;
		if (o->val == 's' || o->val == 'n' || o->val == OPT_NG)
			return CONFIG_OPT_LIST;
		return CONFIG_OPT_VALUE;
	}
	return CONFIG_OPT_NONE;
}

int
config_parse(struct config *c, int argc, char **argv, char *err, size_t errlen)
{
	int rc;

	if ((rc = config_parse_args(c, argc, argv, err, errlen)) != 0)
		return rc;
	return config_finish(c, err, errlen);
}

int
config_parse_args(struct config *c, int argc, char **argv, char *err,
    size_t errlen)
{
	unsigned long v;
	unsigned nadv;
	int ch, lvl;
	char lvlbuf[32], *colon;
	bool new_ctl = true, new_notify = true, new_ng = true;

	/* 0, not 1: glibc then forgets a previous argv entirely. */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "l:6:A:s:m:M:T:W:n:fFd:p:u:c:hV",
	    long_options, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (parse_addr_pair(optarg, c->ifaces, &c->nifaces) != 0)
				USAGE_ERR("-l: not an address or address pair: %s", optarg);
			break;
		case '6':
			if (addr_parse(&c->iface6, optarg, 0, AF_INET6) != 0)
				USAGE_ERR("-6: not an IPv6 address: %s", optarg);
			c->have_iface6 = true;
			break;
		case 'A':
			addr_clear(&c->advertised[0]);
			addr_clear(&c->advertised[1]);
			if (parse_addr_pair(optarg, c->advertised, &nadv) != 0)
				USAGE_ERR("-A: not an address or address pair: %s", optarg);
			break;
		case 's':
			if (new_ctl)
				c->nctl = 0;
			new_ctl = false;
			if (c->nctl == CONFIG_MAX_CTL)
				USAGE_ERR("-s: at most %d control sockets", CONFIG_MAX_CTL);
			c->ctl[c->nctl++] = optarg;
			break;
		case OPT_NG:
			if (new_ng)
				c->nng = 0;
			new_ng = false;
			if (c->nng == CONFIG_MAX_CTL)
				USAGE_ERR("--ng: at most %d ng sockets", CONFIG_MAX_CTL);
			if (strncmp(optarg, "udp:", 4) != 0 && strncmp(optarg, "udp6:", 5) != 0 &&
			    strncmp(optarg, "tcp:", 4) != 0 && strncmp(optarg, "tcp6:", 5) != 0)
				USAGE_ERR("--ng: udp:HOST:PORT, udp6:[ADDR]:PORT or tcp:HOST:PORT: %s",
				    optarg);
			c->ng[c->nng++] = optarg;
			break;
		case OPT_DELETE_DELAY:
			if (parse_uint(optarg, 0, 3600, &v) != 0)
				USAGE_ERR("--delete-delay: 0..3600 seconds: %s", optarg);
			c->delete_delay_s = (unsigned)v;
			break;
		case 'n':
			if (new_notify)
				c->nnotify = 0;
			new_notify = false;
			if (c->nnotify == CONFIG_MAX_NOTIFY)
				USAGE_ERR("-n: at most %d notify targets", CONFIG_MAX_NOTIFY);
			c->notify[c->nnotify++] = optarg;
			break;
		case 'm':
		case 'M':
			if (parse_uint(optarg, 1024, 65535, &v) != 0)
				USAGE_ERR("-%c: port must be 1024..65535: %s", ch, optarg);
			if (ch == 'm')
				c->port_min = (uint16_t)v;
			else
				c->port_max = (uint16_t)v;
			break;
		case 'T':
		case 'W':
			if (parse_uint(optarg, 1, 86400, &v) != 0)
				USAGE_ERR("-%c: seconds must be 1..86400: %s", ch, optarg);
			if (ch == 'T')
				c->ttl_s = (unsigned)v;
			else
				c->setup_ttl_s = (unsigned)v;
			break;
		case 'f':
			c->foreground = true;
			break;
		case 'F':
			c->no_root_check = true;
			break;
		case 'd':
			/* rtpproxy allows LEVEL:FACILITY; the facility is syslog's. */
			snprintf(lvlbuf, sizeof(lvlbuf), "%s", optarg);
			if ((colon = strchr(lvlbuf, ':')) != NULL)
				*colon = '\0';
			if ((lvl = log_level_parse(lvlbuf)) < 0)
				USAGE_ERR("-d: unknown log level: %s", optarg);
			c->log_level = lvl;
			break;
		case OPT_LOG:
			c->log_target = optarg;
			break;
		case 'p':
			c->pidfile = optarg;
			break;
		case 'u':
			c->user = optarg;
			break;
		case OPT_METRICS:
			c->metrics = optarg;
			break;
		case OPT_RECORD_DIR:
			c->record_dir = optarg;
			break;
		case OPT_JB:
			if ((lvl = jbuf_mode_parse(optarg)) < 0)
				USAGE_ERR("--jitter-buffer: off, fixed or adaptive: %s", optarg);
			c->jb.mode = (enum jbuf_mode)lvl;
			break;
		case OPT_JB_DEPTH:
		case OPT_JB_MAX:
			if (parse_uint(optarg, 10, 1000, &v) != 0)
				USAGE_ERR("%s: 10..1000 ms: %s", argv[optind - 1], optarg);
			if (ch == OPT_JB_DEPTH)
				c->jb.depth_ms = (uint32_t)v;
			else
				c->jb.max_depth_ms = (uint32_t)v;
			break;
		case 'c':
			c->config_file = optarg;
			break;
		case OPT_REDIS:
			c->redis = optarg;
			break;
		case OPT_REDIS_PASSWORD_FILE:
			c->redis_password_file = optarg;
			break;
		case OPT_NODE_ID:
			if (!node_id_ok(optarg))
				USAGE_ERR("--node-id: 1..64 of A-Z a-z 0-9 . _ -: %s", optarg);
			c->node_id = optarg;
			break;
		case OPT_HA_GROUP:
			if (!node_id_ok(optarg))
				USAGE_ERR("--ha-group: 1..64 of A-Z a-z 0-9 . _ -: %s", optarg);
			c->ha_group = optarg;
			break;
		case OPT_HA:
			if (strcmp(optarg, "active") != 0 && strcmp(optarg, "standby") != 0)
				USAGE_ERR("--ha: active or standby: %s", optarg);
			c->ha_standby = optarg[0] == 's';
			break;
		case OPT_HA_LEASE:
			if (parse_uint(optarg, 500, 60000, &v) != 0)
				USAGE_ERR("--ha-lease-ms: 500..60000: %s", optarg);
			c->ha_lease_ms = (unsigned)v;
			break;
		case OPT_FREEBIND:
			c->freebind = true;
			break;
		case OPT_REDIS_REFRESH:
		case OPT_REDIS_TTL:
			if (parse_uint(optarg, ch == OPT_REDIS_TTL ? 10 : 1, 86400, &v) != 0)
				USAGE_ERR("%s: out of range: %s", argv[optind - 1], optarg);
			if (ch == OPT_REDIS_TTL)
				c->redis_ttl_s = (unsigned)v;
			else
				c->redis_refresh_s = (unsigned)v;
			break;
		case OPT_WORKERS:
			if (parse_uint(optarg, 1, 64, &v) != 0)
				USAGE_ERR("--workers: 1..64: %s", optarg);
			c->workers = (unsigned)v;
			break;
		case OPT_AFFINITY:
			c->affinity = true;
			break;
		case OPT_MAX_CALLS:
			if (parse_uint(optarg, 1, 10000000, &v) != 0)
				USAGE_ERR("--max-calls: a positive number: %s", optarg);
			c->max_calls = (unsigned)v;
			break;
		case OPT_MAX_CMD_RATE:
			if (parse_uint(optarg, 1, 10000000, &v) != 0)
				USAGE_ERR("--max-cmd-rate: a positive number: %s", optarg);
			c->max_cmd_rate = (unsigned)v;
			break;
		case OPT_HANDOVER:
			if ((lvl = latch_policy_parse(optarg)) < 0)
				USAGE_ERR("--handover: off, ssrc or probation: %s", optarg);
			c->latch.policy = (enum latch_policy)lvl;
			break;
		case OPT_SWITCH_PKTS:
		case OPT_BUSY_PKTS:
		case OPT_PROBATION_PKTS:
		case OPT_MAX_SWITCHES:
			if (parse_uint(optarg, 1, 1000, &v) != 0)
				USAGE_ERR("%s: 1..1000: %s", argv[optind - 1], optarg);
			if (ch == OPT_SWITCH_PKTS)
				c->latch.strong_count = (unsigned)v;
			else if (ch == OPT_BUSY_PKTS)
				c->latch.busy_count = (unsigned)v;
			else if (ch == OPT_PROBATION_PKTS)
				c->latch.probation_count = (unsigned)v;
			else
				c->latch.max_switches_per_min = (unsigned)v;
			break;
		case OPT_FAST_PATH:
			if (strcmp(optarg, "ebpf") == 0)
				c->fast_path = FAST_PATH_EBPF;
			else if (strcmp(optarg, "off") == 0)
				c->fast_path = FAST_PATH_OFF;
			else
				USAGE_ERR("--fast-path: ebpf or off: %s", optarg);
			break;
		case OPT_HOLD_PKTS:
			if (parse_uint(optarg, 0, LATCH_HOLD_SLOTS, &v) != 0)
				USAGE_ERR("--hold-packets: 0..%d: %s", LATCH_HOLD_SLOTS, optarg);
			c->latch.hold_count = (unsigned)v;
			break;
		case OPT_GUARD_MS:
		case OPT_PTIME:
		case OPT_SEQ_SLACK:
		case OPT_SWITCH_INTERVAL:
			if (parse_uint(optarg, ch == OPT_PTIME ? 5 : 0, 600000, &v) != 0)
				USAGE_ERR("%s: out of range: %s", argv[optind - 1], optarg);
			if (ch == OPT_GUARD_MS)
				c->latch.guard_ms = (uint32_t)v;
			else if (ch == OPT_PTIME)
				c->latch.ptime_ms = (uint32_t)v;
			else if (ch == OPT_SEQ_SLACK)
				c->latch.seq_slack = (uint32_t)v;
			else
				c->latch.min_switch_interval_ms = (uint32_t)v;
			break;
		case 'h':
			config_usage(stdout, argv[0]);
			return 1;
		case 'V':
			printf("rtproam %s\n", RTPROAM_VERSION);
			return 1;
		default:
			USAGE_ERR("unknown option; see --help");
		}
	}
	if (optind < argc)
		USAGE_ERR("unexpected argument: %s", argv[optind]);
	return 0;
}

int
config_finish(struct config *c, char *err, size_t errlen)
{
	unsigned nadv;

	if (c->port_min > c->port_max || c->port_max - c->port_min < 3)
		USAGE_ERR("port range %u..%u holds no RTP/RTCP pair",
		    c->port_min, c->port_max);
	if (c->nifaces == 0) {
		addr_parse(&c->ifaces[0], "127.0.0.1", 0, AF_INET);
		c->nifaces = 1;
	}
	nadv = addr_is_set(&c->advertised[0]) + addr_is_set(&c->advertised[1]);
	if (nadv != 0 && nadv != c->nifaces)
		USAGE_ERR("-A must name as many addresses as -l");
	/* Kamailio's rtpengine module also defaults to port 22222: no clash. */
	if (c->nctl == 0 && c->nng == 0)
		c->ctl[c->nctl++] = "udp:127.0.0.1:22222";
	if (c->jb.depth_ms > c->jb.max_depth_ms)
		USAGE_ERR("--jb-depth-ms %u is above --jb-max-ms %u",
		    c->jb.depth_ms, c->jb.max_depth_ms);
	if (c->setup_ttl_s == 0)
		c->setup_ttl_s = c->ttl_s;
	if (c->redis != NULL && c->redis_ttl_s <= c->redis_refresh_s)
		USAGE_ERR("--redis-ttl %u must be longer than --redis-refresh %u",
		    c->redis_ttl_s, c->redis_refresh_s);
	if (c->ha_group == NULL)
		c->ha_group = c->node_id;
	if (c->ha_standby && c->redis == NULL)
		USAGE_ERR("--ha standby needs --redis: the calls it takes over are there");
	if (c->log_target == NULL)
		c->log_target = c->foreground ? "stderr" : "syslog";
	return 0;
}
