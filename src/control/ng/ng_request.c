/*
 * ng_request.c - read an ng request document into struct ng_request.
 *
 * Tables drive it: one for command names, one for the flags of the
 * "flags" list, one for the dictionary keys. Anything rtproam does not
 * know, or knows and does not do, is remembered for the reply's warning:
 * a SIP proxy then sees that a flag it relies on did nothing.
 */
#include "control/ng/ng_request.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *const command_names[NG_COMMAND_MAX] = {
	[NG_UNKNOWN] = "?",
	[NG_PING] = "ping",
	[NG_OFFER] = "offer",
	[NG_ANSWER] = "answer",
	[NG_DELETE] = "delete",
	[NG_QUERY] = "query",
	[NG_LIST] = "list",
	[NG_STATISTICS] = "statistics",
	[NG_START_RECORDING] = "start recording",
	[NG_STOP_RECORDING] = "stop recording",
	[NG_PAUSE_RECORDING] = "pause recording",
	[NG_BLOCK_MEDIA] = "block media",
	[NG_UNBLOCK_MEDIA] = "unblock media",
	[NG_BLOCK_DTMF] = "block DTMF",
	[NG_UNBLOCK_DTMF] = "unblock DTMF",
	[NG_SILENCE_MEDIA] = "silence media",
	[NG_UNSILENCE_MEDIA] = "unsilence media",
	[NG_START_FORWARDING] = "start forwarding",
	[NG_STOP_FORWARDING] = "stop forwarding",
	[NG_PLAY_MEDIA] = "play media",
	[NG_STOP_MEDIA] = "stop media",
	[NG_PLAY_DTMF] = "play DTMF",
	[NG_PUBLISH] = "publish",
	[NG_SUBSCRIBE_REQUEST] = "subscribe request",
	[NG_SUBSCRIBE_ANSWER] = "subscribe answer",
	[NG_UNSUBSCRIBE] = "unsubscribe",
};

const char *
ng_command_name(enum ng_command c)
{
	return (unsigned)c < NG_COMMAND_MAX ? command_names[c] : "?";
}

static bool
str_is(const struct ng_str *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->len == n && memcmp(s->p, lit, n) == 0;
}

static struct ng_str
node_str(const struct bnode *n)
{
	struct ng_str s = { NULL, 0 };

	/* A key that must be a string, sent as anything else, is absent. */
	if (n != NULL && n->type == BN_STR) {
		s.p = n->s;
		s.len = n->len;
	}
	return s;
}

static void
ignore(struct ng_request *r, struct ng_str s)
{
	if (r->nignored < NG_MAX_WARNINGS && s.len > 0)
		r->ignored[r->nignored++] = s;
}

/* ---- the "flags" list ---- */

enum flag_action { F_IGNORE_QUIETLY, F_WARN, F_SET };

static const struct {
	const char	*name;
	size_t		 field;		/* offsetof the bool in ng_request */
	enum flag_action action;
} flag_table[] = {
	{ "SIP-source-address", offsetof(struct ng_request, sip_source_address), F_SET },
	{ "trust-address", offsetof(struct ng_request, trust_address), F_SET },
	{ "asymmetric", offsetof(struct ng_request, asymmetric), F_SET },
	{ "symmetric", offsetof(struct ng_request, symmetric), F_SET },
	{ "strict-source", offsetof(struct ng_request, strict_source), F_SET },
	{ "media-handover", offsetof(struct ng_request, media_handover), F_SET },
	{ "port-latching", offsetof(struct ng_request, port_latching), F_SET },
	{ "fatal", offsetof(struct ng_request, fatal), F_SET },
	{ "all", offsetof(struct ng_request, all), F_SET },
	{ "record-call", offsetof(struct ng_request, record_call), F_SET },
	/* What rtproam does anyway: ports are kept for the life of a leg. */
	{ "no-port-latching", 0, F_IGNORE_QUIETLY },
	{ "directional", 0, F_IGNORE_QUIETLY },
	{ "no-redis-update", 0, F_IGNORE_QUIETLY },
	{ "debug", 0, F_IGNORE_QUIETLY },
	/* Transcoding, SRTP and SDP cosmetics that rtproam does not do. */
	{ "SRTP", offsetof(struct ng_request, srtp_asked), F_SET },
	{ "DTLS", offsetof(struct ng_request, srtp_asked), F_SET },
};

static void
parse_flags(const struct bnode *list, struct ng_request *r)
{
	const struct bnode *n;
	struct ng_str s;
	size_t i;

	if (list == NULL || list->type != BN_LIST)
		return;
	for (n = list->first; n; n = n->next) {
		s = node_str(n);
		for (i = 0; i < sizeof(flag_table) / sizeof(flag_table[0]); i++)
			if (str_is(&s, flag_table[i].name))
				break;
		if (i == sizeof(flag_table) / sizeof(flag_table[0])) {
			ignore(r, s);
			continue;
		}
		if (flag_table[i].action == F_SET)
			*(bool *)(void *)((char *)r + flag_table[i].field) = true;
		else if (flag_table[i].action == F_WARN)
			ignore(r, s);
	}
}

/* ---- list-valued keys ---- */

static void
parse_replace(const struct bnode *list, struct ng_request *r)
{
	const struct bnode *n;
	struct ng_str s;

	if (list == NULL || list->type != BN_LIST)
		return;
	for (n = list->first; n; n = n->next) {
		s = node_str(n);
		if (str_is(&s, "origin"))
			r->replace_origin = true;
		else if (str_is(&s, "session-connection") ||
		    str_is(&s, "session connection"))
			r->replace_session_connection = true;
		else
			ignore(r, s);
	}
}

static void
parse_rtcp_mux(const struct bnode *list, struct ng_request *r)
{
	static const struct { const char *name; unsigned bit; } items[] = {
		{ "offer", NG_MUX_OFFER }, { "require", NG_MUX_REQUIRE },
		{ "demux", NG_MUX_DEMUX }, { "accept", NG_MUX_ACCEPT },
		{ "reject", NG_MUX_REJECT },
	};
	const struct bnode *n;
	struct ng_str s;
	size_t i;

	if (list == NULL || list->type != BN_LIST)
		return;
	for (n = list->first; n; n = n->next) {
		s = node_str(n);
		for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
			if (str_is(&s, items[i].name))
				break;
		if (i < sizeof(items) / sizeof(items[0]))
			r->rtcp_mux |= items[i].bit;
		else
			ignore(r, s);
	}
}

int
ng_family_parse(const struct ng_str *s)
{
	if (str_is(s, "IP4") || str_is(s, "IPv4") || str_is(s, "4"))
		return AF_INET;
	if (str_is(s, "IP6") || str_is(s, "IPv6") || str_is(s, "6"))
		return AF_INET6;
	return 0;
}

/* received-from: ["IP4", "203.0.113.5"] (Kamailio, on every command). */
static void
parse_received_from(const struct bnode *list, struct ng_request *r)
{
	struct ng_str fam, ip;

	if (list == NULL || list->type != BN_LIST || list->count != 2)
		return;
	fam = node_str(list->first);
	ip = node_str(list->first->next);
	if (ip.len == 0 || ip.len >= sizeof(r->received_from))
		return;
	r->received_from_family = ng_family_parse(&fam);
	memcpy(r->received_from, ip.p, ip.len);
	r->received_from[ip.len] = '\0';
}

static void
parse_supports(const struct bnode *list, struct ng_request *r)
{
	const struct bnode *n;

	if (list == NULL || list->type != BN_LIST)
		return;
	for (n = list->first; n; n = n->next)
		if (bn_is_str(n, "load limit"))
			r->supports_load_limit = true;
}

static void
parse_direction(const struct bnode *list, struct ng_request *r)
{
	const struct bnode *n;
	unsigned i = 0;

	if (list == NULL || list->type != BN_LIST)
		return;
	for (n = list->first; n && i < 2; n = n->next)
		r->direction[i++] = node_str(n);
}

/* ---- the keys ---- */

static int
parse_command(const struct bnode *root, struct ng_request *r, char *err, size_t errlen)
{
	struct ng_str cmd = node_str(bn_dict_get(root, "command"));
	unsigned i;

	if (cmd.len == 0) {
		snprintf(err, errlen, "Dictionary contains no key \"command\"");
		return -1;
	}
	for (i = 1; i < NG_COMMAND_MAX; i++) {
		if (str_is(&cmd, command_names[i])) {
			r->command = (enum ng_command)i;
			return 0;
		}
	}
	snprintf(err, errlen, "Unrecognized command");
	return -1;
}

int
ng_request_parse(const struct bnode *root, struct ng_request *r, char *err,
    size_t errlen)
{
	const struct bnode *n;
	struct ng_str s;
	int64_t v;

	memset(r, 0, sizeof(*r));
	r->delete_delay = -1;
	r->limit = -1;
	r->record_call_key = -1;
	if (root == NULL || root->type != BN_DICT) {
		snprintf(err, errlen, "Invalid NG data format");
		return -1;
	}
	if (parse_command(root, r, err, errlen) != 0)
		return -1;
	r->call_id = node_str(bn_dict_get_key(root, "call-id"));
	r->from_tag = node_str(bn_dict_get_key(root, "from-tag"));
	r->to_tag = node_str(bn_dict_get_key(root, "to-tag"));
	r->via_branch = node_str(bn_dict_get_key(root, "via-branch"));
	r->sdp = node_str(bn_dict_get(root, "sdp"));
	r->label = node_str(bn_dict_get(root, "label"));
	if (r->label.len == 0)
		r->label = node_str(bn_dict_get_key(root, "from-label"));
	r->set_label = node_str(bn_dict_get_key(root, "set-label"));
	if (r->set_label.len == 0)
		r->set_label = node_str(bn_dict_get_key(root, "to-label"));
	r->transport_protocol = node_str(bn_dict_get_key(root, "transport-protocol"));
	r->media_address = node_str(bn_dict_get_key(root, "media-address"));
	s = node_str(bn_dict_get_key(root, "address-family"));
	r->address_family = ng_family_parse(&s);

	/* rtpengine walks every pair: a repeated flags list adds up (§1.2). */
	for (n = root->first; n != NULL; n = n->next)
		if (n->klen == 5 && memcmp(n->key, "flags", 5) == 0)
			parse_flags(n, r);
	parse_replace(bn_dict_get(root, "replace"), r);
	parse_rtcp_mux(bn_dict_get_key(root, "rtcp-mux"), r);
	parse_received_from(bn_dict_get_key(root, "received-from"), r);
	parse_supports(bn_dict_get(root, "supports"), r);
	parse_direction(bn_dict_get(root, "direction"), r);

	s = node_str(bn_dict_get(root, "ICE"));
	if (s.len == 0 || str_is(&s, "default"))
		r->ice = NG_ICE_DEFAULT;
	else if (str_is(&s, "remove"))
		r->ice = NG_ICE_REMOVE;
	else if (str_is(&s, "force"))
		r->ice = NG_ICE_FORCE;
	else
		r->ice = NG_ICE_OTHER;

	if (bn_get_int(bn_dict_get_key(root, "delete-delay"), &v) == 0 && v >= 0)
		r->delete_delay = v;
	if ((n = bn_dict_get(root, "limit")) != NULL && bn_get_int(n, &v) == 0)
		r->limit = v;

	s = node_str(bn_dict_get_key(root, "record-call"));
	if (str_is(&s, "yes") || str_is(&s, "on"))
		r->record_call_key = 1;
	else if (str_is(&s, "no") || str_is(&s, "off"))
		r->record_call_key = 0;

	/* Anything that needs SRTP: rtproam refuses it until it speaks SRTP. */
	if (r->transport_protocol.len > 0 && !str_is(&r->transport_protocol, "RTP/AVP") &&
	    !str_is(&r->transport_protocol, "RTP/AVPF") &&
	    !str_is(&r->transport_protocol, "accept"))
		r->srtp_asked = true;
	/*
	 * DTLS and SDES settings only matter to an SRTP profile, which the
	 * transport-protocol or the m= line itself asks for (and rtproam
	 * refuses); alone, on a plain RTP call, they change nothing.
	 */
	s = node_str(bn_dict_get(root, "DTLS"));
	if (s.len > 0 && !str_is(&s, "off") && !str_is(&s, "no") && !str_is(&s, "disable"))
		ignore(r, s);
	/* The key's own bytes: what the request holds points into the document. */
	if ((n = bn_dict_get(root, "codec")) != NULL) {
		s.p = n->key;
		s.len = n->klen;
		ignore(r, s);
	}
	/*
	 * Unknown keys are not reported: proxies add their own (OpenSIPS,
	 * Kamailio 6's sip-message-type), and rtpengine ignores them too.
	 */
	return 0;
}
