/*
 * test_ng_request.c - ng_request_parse, one row per situation.
 *
 * Each row is a literal bencode document and what the request read out of
 * it must be. The driver compares EVERY field against the row: a row that
 * names nothing but the command also asserts that no flag got set, no
 * string got filled and nothing was reported as ignored, so a key that
 * leaks into a neighbouring field is caught wherever it happens.
 *
 * Every document is decoded from a heap copy of exactly its size, and
 * every string the request holds must point inside that copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "control/ng/bencode.h"
#include "control/ng/ng_request.h"

/* The boolean flags of struct ng_request, as bits of one mask. */
enum {
	X_SIPSRC = 1 << 0, X_TRUST = 1 << 1, X_ASYM = 1 << 2, X_SYM = 1 << 3,
	X_STRICT = 1 << 4, X_HANDOVER = 1 << 5, X_LATCHING = 1 << 6,
	X_FATAL = 1 << 7, X_ALL = 1 << 8, X_RECORD = 1 << 9, X_SRTP = 1 << 10,
	X_ORIGIN = 1 << 11, X_SESSCONN = 1 << 12, X_LOADLIMIT = 1 << 13,
};

/* Integers whose "absent" is -1: a row says NUM(v) to expect v. */
#define NUM(v)	{ true, (v) }
struct opt_int {
	bool	 set;
	int64_t	 v;
};

struct row {
	const char	*name;
	const char	*doc;		/* bencode, NUL-free */
	const char	*err;		/* NULL: parses; else the error-reason */
	enum ng_command	 cmd;
	const char	*call_id, *from_tag, *to_tag, *via_branch, *sdp;
	const char	*label, *set_label, *transport, *media_address;
	const char	*dir0, *dir1;
	int		 family;		/* address-family */
	const char	*received_from;		/* NULL: "" */
	int		 rf_family;
	struct opt_int	 delete_delay, limit, record_key;
	unsigned	 flags;			/* X_* */
	enum ng_ice	 ice;
	unsigned	 mux;			/* NG_MUX_* */
	const char	*ignored;		/* "a|b": the ignored list in order */
};

#define CMD(n, c)	"d7:command" #n ":" c "e"

static const struct row rows[] = {
	/* ---- the command ---- */
	{ "ping", CMD(4, "ping"), .cmd = NG_PING },
	{ "offer", CMD(5, "offer"), .cmd = NG_OFFER },
	{ "answer", CMD(6, "answer"), .cmd = NG_ANSWER },
	{ "delete", CMD(6, "delete"), .cmd = NG_DELETE },
	{ "query", CMD(5, "query"), .cmd = NG_QUERY },
	{ "list", CMD(4, "list"), .cmd = NG_LIST },
	{ "statistics", CMD(10, "statistics"), .cmd = NG_STATISTICS },
	{ "start recording", CMD(15, "start recording"), .cmd = NG_START_RECORDING },
	{ "stop recording", CMD(14, "stop recording"), .cmd = NG_STOP_RECORDING },
	{ "pause recording", CMD(15, "pause recording"), .cmd = NG_PAUSE_RECORDING },
	{ "block media", CMD(11, "block media"), .cmd = NG_BLOCK_MEDIA },
	{ "unblock media", CMD(13, "unblock media"), .cmd = NG_UNBLOCK_MEDIA },
	{ "block DTMF", CMD(10, "block DTMF"), .cmd = NG_BLOCK_DTMF },
	{ "unblock DTMF", CMD(12, "unblock DTMF"), .cmd = NG_UNBLOCK_DTMF },
	{ "silence media", CMD(13, "silence media"), .cmd = NG_SILENCE_MEDIA },
	{ "unsilence media", CMD(15, "unsilence media"), .cmd = NG_UNSILENCE_MEDIA },
	{ "start forwarding", CMD(16, "start forwarding"), .cmd = NG_START_FORWARDING },
	{ "stop forwarding", CMD(15, "stop forwarding"), .cmd = NG_STOP_FORWARDING },
	{ "play media", CMD(10, "play media"), .cmd = NG_PLAY_MEDIA },
	{ "stop media", CMD(10, "stop media"), .cmd = NG_STOP_MEDIA },
	{ "play DTMF", CMD(9, "play DTMF"), .cmd = NG_PLAY_DTMF },
	{ "publish", CMD(7, "publish"), .cmd = NG_PUBLISH },
	{ "subscribe request", CMD(17, "subscribe request"), .cmd = NG_SUBSCRIBE_REQUEST },
	{ "subscribe answer", CMD(16, "subscribe answer"), .cmd = NG_SUBSCRIBE_ANSWER },
	{ "unsubscribe", CMD(11, "unsubscribe"), .cmd = NG_UNSUBSCRIBE },
	/* Names are case-sensitive in rtpengine. */
	{ "command in the wrong case", CMD(4, "PING"), .err = "Unrecognized command" },
	{ "unknown command", CMD(5, "hello"), .err = "Unrecognized command" },
	{ "command with a trailing space", CMD(5, "ping "), .err = "Unrecognized command" },
	{ "no command key", "d3:foo3:bare", .err = "Dictionary contains no key \"command\"" },
	{ "command as an integer", "d7:commandi1ee",
	    .err = "Dictionary contains no key \"command\"" },
	{ "command as a list", "d7:commandl4:pingee",
	    .err = "Dictionary contains no key \"command\"" },
	{ "empty command", "d7:command0:e", .err = "Dictionary contains no key \"command\"" },
	/* The first key Kamailio sends is never command: order is free. */
	{ "command last, as Kamailio sends it",
	    "d7:call-id2:c18:from-tag2:ft7:command5:querye",
	    .cmd = NG_QUERY, .call_id = "c1", .from_tag = "ft" },

	/* ---- identity ---- */
	{ "call-id, tags, via-branch and sdp",
	    "d3:sdp4:v=0\n7:call-id3:abc8:from-tag1:a6:to-tag1:b"
	    "10:via-branch4:z9hG7:command5:offere",
	    .cmd = NG_OFFER, .call_id = "abc", .from_tag = "a", .to_tag = "b",
	    .via_branch = "z9hG", .sdp = "v=0\n" },
	{ "call-id as an integer is absent", "d7:call-idi123e7:command5:querye",
	    .cmd = NG_QUERY },
	{ "duplicate call-id: the last wins",
	    "d7:call-id5:first7:call-id4:last7:command5:querye",
	    .cmd = NG_QUERY, .call_id = "last" },
	{ "duplicate from-tag across spellings: the last wins",
	    "d8:from-tag3:one8:from tag3:two7:command6:deletee",
	    .cmd = NG_DELETE, .from_tag = "two" },
	{ "duplicate command: the last wins",
	    "d7:command4:ping7:command5:querye", .cmd = NG_QUERY },
	{ "unknown keys are not reported",
	    "d16:sip-message-type11:sip_request10:rtpp-flags3:x=17:command4:pinge",
	    .cmd = NG_PING },

	/* ---- the flags list, one row per entry of the flag table ---- */
	{ "flag SIP-source-address",
	    "d5:flagsl18:SIP-source-addresse7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_SIPSRC },
	{ "flag trust-address", "d5:flagsl13:trust-addresse7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_TRUST },
	{ "flag asymmetric", "d5:flagsl10:asymmetrice7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_ASYM },
	{ "flag symmetric", "d5:flagsl9:symmetrice7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_SYM },
	{ "flag strict-source", "d5:flagsl13:strict-sourcee7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_STRICT },
	{ "flag media-handover", "d5:flagsl14:media-handovere7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_HANDOVER },
	{ "flag port-latching", "d5:flagsl13:port-latchinge7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_LATCHING },
	{ "flag fatal", "d5:flagsl5:fatale7:command6:deletee",
	    .cmd = NG_DELETE, .flags = X_FATAL },
	{ "flag all", "d5:flagsl3:alle7:command13:unblock mediae",
	    .cmd = NG_UNBLOCK_MEDIA, .flags = X_ALL },
	{ "flag record-call", "d5:flagsl11:record-calle7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_RECORD },
	{ "flag no-port-latching: done anyway, not reported",
	    "d5:flagsl16:no-port-latchinge7:command5:offere", .cmd = NG_OFFER },
	{ "flag directional: not reported",
	    "d5:flagsl11:directionale7:command11:block mediae", .cmd = NG_BLOCK_MEDIA },
	{ "flag no-redis-update: not reported",
	    "d5:flagsl15:no-redis-updatee7:command5:offere", .cmd = NG_OFFER },
	{ "flag debug: not reported", "d5:flagsl5:debuge7:command5:offere",
	    .cmd = NG_OFFER },
	{ "flag SRTP asks for SRTP", "d5:flagsl4:SRTPe7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_SRTP },
	{ "flag DTLS asks for SRTP", "d5:flagsl4:DTLSe7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_SRTP },
	{ "several flags at once",
	    "d5:flagsl18:SIP-source-address10:asymmetric5:fatale7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_SIPSRC | X_ASYM | X_FATAL },
	{ "unknown flags go to the ignored list, in order",
	    "d5:flagsl12:loop-protect13:trust-address13:generate-RTCPe"
	    "7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_TRUST, .ignored = "loop-protect|generate-RTCP" },
	{ "flags are case-sensitive", "d5:flagsl10:ASYMMETRICe7:command5:offere",
	    .cmd = NG_OFFER, .ignored = "ASYMMETRIC" },
	{ "a non-string flag is skipped", "d5:flagsli1e5:fatale7:command6:deletee",
	    .cmd = NG_DELETE, .flags = X_FATAL },
	{ "flags as a string, not a list, are ignored",
	    "d5:flags5:fatal7:command6:deletee", .cmd = NG_DELETE },
	{ "the ignored list stops at its size",
	    "d5:flagsl2:f12:f22:f32:f42:f52:f62:f72:f82:f92:10e7:command5:offere",
	    .cmd = NG_OFFER, .ignored = "f1|f2|f3|f4|f5|f6|f7|f8" },
	{ "duplicate flags keys: the lists add up",
	    "d5:flagsl5:fatale5:flagsl3:alle7:command6:deletee",
	    .cmd = NG_DELETE, .flags = X_FATAL | X_ALL },

	/*
	 * ---- SRTP asked for, in each way it can be asked ----
	 * Only a profile asks for it; SDES and DTLS settings alone change
	 * nothing on a plain RTP call (Kamailio configs pass SDES-off often).
	 */
	{ "SDES- flag alone does not ask for SRTP", "d5:flagsl8:SDES-pade7:command5:offere",
	    .cmd = NG_OFFER, .ignored = "SDES-pad" },
	{ "SDES-off flag does not", "d5:flagsl8:SDES-offe7:command5:offere",
	    .cmd = NG_OFFER, .ignored = "SDES-off" },
	{ "SDES-no flag does not", "d5:flagsl7:SDES-noe7:command5:offere",
	    .cmd = NG_OFFER, .ignored = "SDES-no" },
	{ "DTLS passive alone: noted, not SRTP", "d4:DTLS7:passive7:command5:offere",
	    .cmd = NG_OFFER, .ignored = "passive" },
	{ "DTLS off does not", "d4:DTLS3:off7:command5:offere", .cmd = NG_OFFER },
	{ "DTLS no does not", "d4:DTLS2:no7:command5:offere", .cmd = NG_OFFER },
	{ "DTLS disable does not", "d4:DTLS7:disable7:command5:offere", .cmd = NG_OFFER },
	{ "transport-protocol RTP/AVP", "d18:transport-protocol7:RTP/AVP7:command5:offere",
	    .cmd = NG_OFFER, .transport = "RTP/AVP" },
	{ "transport-protocol RTP/AVPF",
	    "d18:transport-protocol8:RTP/AVPF7:command5:offere",
	    .cmd = NG_OFFER, .transport = "RTP/AVPF" },
	{ "transport-protocol accept", "d18:transport-protocol6:accept7:command5:offere",
	    .cmd = NG_OFFER, .transport = "accept" },
	{ "transport-protocol RTP/SAVP asks for SRTP",
	    "d18:transport-protocol8:RTP/SAVP7:command5:offere",
	    .cmd = NG_OFFER, .transport = "RTP/SAVP", .flags = X_SRTP },
	{ "transport-protocol UDP/TLS/RTP/SAVPF asks for SRTP",
	    "d18:transport-protocol17:UDP/TLS/RTP/SAVPF7:command5:offere",
	    .cmd = NG_OFFER, .transport = "UDP/TLS/RTP/SAVPF", .flags = X_SRTP },
	{ "transport protocol, spaced",
	    "d18:transport protocol8:RTP/SAVP7:command5:offere",
	    .cmd = NG_OFFER, .transport = "RTP/SAVP", .flags = X_SRTP },

	/* ---- replace ---- */
	{ "replace origin and session-connection",
	    "d7:replacel6:origin18:session-connectione7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_ORIGIN | X_SESSCONN },
	{ "replace session connection, spaced",
	    "d7:replacel18:session connectione7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_SESSCONN },
	{ "replace items it does not do are reported",
	    "d7:replacel11:SDP-version6:origin8:usernamee7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_ORIGIN, .ignored = "SDP-version|username" },
	{ "replace as a string is ignored", "d7:replace6:origin7:command5:offere",
	    .cmd = NG_OFFER },

	/* ---- rtcp-mux ---- */
	{ "rtcp-mux offer", "d8:rtcp-muxl5:offere7:command5:offere",
	    .cmd = NG_OFFER, .mux = NG_MUX_OFFER },
	{ "rtcp-mux require", "d8:rtcp-muxl7:requiree7:command5:offere",
	    .cmd = NG_OFFER, .mux = NG_MUX_REQUIRE },
	{ "rtcp-mux demux", "d8:rtcp-muxl5:demuxe7:command5:offere",
	    .cmd = NG_OFFER, .mux = NG_MUX_DEMUX },
	{ "rtcp-mux accept", "d8:rtcp-muxl6:accepte7:command6:answere",
	    .cmd = NG_ANSWER, .mux = NG_MUX_ACCEPT },
	{ "rtcp-mux reject", "d8:rtcp-muxl6:rejecte7:command5:offere",
	    .cmd = NG_OFFER, .mux = NG_MUX_REJECT },
	{ "rtcp-mux items add up; unknown ones are reported",
	    "d8:rtcp-muxl5:demux6:accept4:mux?e7:command5:offere",
	    .cmd = NG_OFFER, .mux = NG_MUX_DEMUX | NG_MUX_ACCEPT, .ignored = "mux?" },
	{ "rtcp mux, spaced", "d8:rtcp muxl6:rejecte7:command5:offere",
	    .cmd = NG_OFFER, .mux = NG_MUX_REJECT },

	/* ---- received-from ---- */
	{ "received-from IP4",
	    "d13:received-froml3:IP411:203.0.113.5e7:command5:offere",
	    .cmd = NG_OFFER, .received_from = "203.0.113.5", .rf_family = AF_INET },
	{ "received-from IP6",
	    "d13:received-froml3:IP411:2001:db8::5e7:command5:offere",
	    .cmd = NG_OFFER, .received_from = "2001:db8::5", .rf_family = AF_INET },
	{ "received-from IP6, family IP6",
	    "d13:received-froml3:IP611:2001:db8::5e7:command5:offere",
	    .cmd = NG_OFFER, .received_from = "2001:db8::5", .rf_family = AF_INET6 },
	{ "received from, spaced",
	    "d13:received froml3:IP48:10.0.0.1e7:command5:offere",
	    .cmd = NG_OFFER, .received_from = "10.0.0.1", .rf_family = AF_INET },
	{ "received-from twice, across spellings: the last wins",
	    "d13:received-froml3:IP48:10.0.0.1e13:received froml3:IP48:10.0.0.2e"
	    "7:command5:offere",
	    .cmd = NG_OFFER, .received_from = "10.0.0.2", .rf_family = AF_INET },
	{ "received-from with an unknown family keeps the address",
	    "d13:received-froml3:IPX8:10.0.0.1e7:command5:offere",
	    .cmd = NG_OFFER, .received_from = "10.0.0.1" },
	{ "received-from with one item is ignored",
	    "d13:received-froml3:IP4e7:command5:offere", .cmd = NG_OFFER },
	{ "received-from with three items is ignored",
	    "d13:received-froml3:IP48:10.0.0.11:xe7:command5:offere", .cmd = NG_OFFER },
	{ "received-from as a string is ignored",
	    "d13:received-from8:10.0.0.17:command5:offere", .cmd = NG_OFFER },
	{ "received-from with an integer address is ignored",
	    "d13:received-froml3:IP4i1ee7:command5:offere", .cmd = NG_OFFER },
	{ "received-from with an empty address is ignored",
	    "d13:received-froml3:IP40:e7:command5:offere", .cmd = NG_OFFER },
	{ "received-from longer than any address is ignored",
	    "d13:received-froml3:IP446:"
	    "0123456789012345678901234567890123456789012345e7:command5:offere",
	    .cmd = NG_OFFER },
	{ "received-from of 45 bytes fits",
	    "d13:received-froml3:IP645:"
	    "0000:0000:0000:0000:0000:ffff:192.168.100.228e7:command5:offere",
	    .cmd = NG_OFFER,
	    .received_from = "0000:0000:0000:0000:0000:ffff:192.168.100.228",
	    .rf_family = AF_INET6 },

	/* ---- supports ---- */
	{ "supports load limit", "d8:supportsl10:load limite7:command5:offere",
	    .cmd = NG_OFFER, .flags = X_LOADLIMIT },
	{ "supports something else", "d8:supportsl5:othere7:command5:offere",
	    .cmd = NG_OFFER },
	{ "supports as a string is ignored", "d8:supports10:load limit7:command5:offere",
	    .cmd = NG_OFFER },

	/* ---- direction, address-family, media-address ---- */
	{ "direction pair", "d9:directionl8:internal8:externale7:command5:offere",
	    .cmd = NG_OFFER, .dir0 = "internal", .dir1 = "external" },
	{ "direction with one name", "d9:directionl3:pube7:command5:offere",
	    .cmd = NG_OFFER, .dir0 = "pub" },
	{ "direction with three names keeps two",
	    "d9:directionl1:a1:b1:ce7:command5:offere",
	    .cmd = NG_OFFER, .dir0 = "a", .dir1 = "b" },
	{ "address-family IP6", "d14:address-family3:IP67:command5:offere",
	    .cmd = NG_OFFER, .family = AF_INET6 },
	{ "address family IP4, spaced", "d14:address family3:IP47:command5:offere",
	    .cmd = NG_OFFER, .family = AF_INET },
	{ "address-family nonsense", "d14:address-family3:IP57:command5:offere",
	    .cmd = NG_OFFER },
	{ "media-address", "d13:media-address10:192.0.2.777:command5:offere",
	    .cmd = NG_OFFER, .media_address = "192.0.2.77" },

	/* ---- ICE ---- */
	{ "ICE absent", CMD(5, "offer"), .cmd = NG_OFFER, .ice = NG_ICE_DEFAULT },
	{ "ICE remove", "d3:ICE6:remove7:command5:offere",
	    .cmd = NG_OFFER, .ice = NG_ICE_REMOVE },
	{ "ICE force", "d3:ICE5:force7:command5:offere",
	    .cmd = NG_OFFER, .ice = NG_ICE_FORCE },
	{ "ICE default is as if absent", "d3:ICE7:default7:command5:offere",
	    .cmd = NG_OFFER, .ice = NG_ICE_DEFAULT },
	{ "ICE force-relay", "d3:ICE11:force-relay7:command5:offere",
	    .cmd = NG_OFFER, .ice = NG_ICE_OTHER },
	{ "ICE optional", "d3:ICE8:optional7:command5:offere",
	    .cmd = NG_OFFER, .ice = NG_ICE_OTHER },

	/* ---- delete-delay, limit ---- */
	{ "delete-delay as an integer", "d12:delete-delayi30e7:command6:deletee",
	    .cmd = NG_DELETE, .delete_delay = NUM(30) },
	{ "delete-delay 0", "d12:delete-delayi0e7:command6:deletee",
	    .cmd = NG_DELETE, .delete_delay = NUM(0) },
	{ "delete-delay as a string", "d12:delete-delay2:157:command6:deletee",
	    .cmd = NG_DELETE, .delete_delay = NUM(15) },
	{ "delete delay, spaced (Kamailio's delete-delay=N)",
	    "d12:delete delayi5e7:command6:deletee",
	    .cmd = NG_DELETE, .delete_delay = NUM(5) },
	{ "delete-delay negative: the daemon's", "d12:delete-delayi-1e7:command6:deletee",
	    .cmd = NG_DELETE },
	{ "delete-delay not a number: the daemon's",
	    "d12:delete-delay3:abc7:command6:deletee", .cmd = NG_DELETE },
	{ "delete-delay twice: the last wins",
	    "d12:delete-delayi30e12:delete delayi0e7:command6:deletee",
	    .cmd = NG_DELETE, .delete_delay = NUM(0) },
	{ "limit as an integer", "d5:limiti5e7:command4:liste",
	    .cmd = NG_LIST, .limit = NUM(5) },
	{ "limit as a string", "d5:limit2:107:command4:liste",
	    .cmd = NG_LIST, .limit = NUM(10) },
	{ "limit negative is passed on", "d5:limiti-3e7:command4:liste",
	    .cmd = NG_LIST, .limit = NUM(-3) },

	/* ---- labels, recording ---- */
	{ "label and set-label",
	    "d5:label6:caller9:set-label6:callee7:command5:offere",
	    .cmd = NG_OFFER, .label = "caller", .set_label = "callee" },
	{ "from-label and to-label",
	    "d10:from-label1:A8:to-label1:B7:command5:offere",
	    .cmd = NG_OFFER, .label = "A", .set_label = "B" },
	{ "label wins over from-label",
	    "d10:from-label1:A5:label1:L7:command5:offere",
	    .cmd = NG_OFFER, .label = "L" },
	{ "set label, spaced", "d9:set label1:S7:command5:offere",
	    .cmd = NG_OFFER, .set_label = "S" },
	{ "record-call yes", "d11:record-call3:yes7:command5:offere",
	    .cmd = NG_OFFER, .record_key = NUM(1) },
	{ "record-call on", "d11:record-call2:on7:command5:offere",
	    .cmd = NG_OFFER, .record_key = NUM(1) },
	{ "record-call no", "d11:record-call2:no7:command5:offere",
	    .cmd = NG_OFFER, .record_key = NUM(0) },
	{ "record-call off", "d11:record-call3:off7:command5:offere",
	    .cmd = NG_OFFER, .record_key = NUM(0) },
	{ "record call, spaced", "d11:record call3:yes7:command5:offere",
	    .cmd = NG_OFFER, .record_key = NUM(1) },
	{ "record-call nonsense is absent", "d11:record-call5:maybe7:command5:offere",
	    .cmd = NG_OFFER },

	/* ---- codec: not done, reported ---- */
	{ "codec is reported", "d5:codecd5:stripl4:PCMUee7:command5:offere",
	    .cmd = NG_OFFER, .ignored = "codec" },

	/* ---- what Kamailio 5.6 sends (ng-protocol.md 2.2), SDP shortened ---- */
	{ "Kamailio offer",
	    "d8:supportsl10:load limite3:sdp4:v=0\n5:flagsl18:SIP-source-addresse"
	    "7:replacel6:origin18:session-connectione7:call-id16:kam-basic-1@test"
	    "13:received-froml3:IP49:127.0.0.1e8:from-tag9:alicetag17:command5:offere",
	    .cmd = NG_OFFER, .call_id = "kam-basic-1@test", .from_tag = "alicetag1",
	    .sdp = "v=0\n", .received_from = "127.0.0.1", .rf_family = AF_INET,
	    .flags = X_LOADLIMIT | X_SIPSRC | X_ORIGIN | X_SESSCONN },
	{ "Kamailio delete with delete-delay",
	    "d8:supportsl10:load limite7:call-id1:c13:received-froml3:IP49:127.0.0.1e"
	    "8:from-tag1:a12:delete delayi0e7:command6:deletee",
	    .cmd = NG_DELETE, .call_id = "c", .from_tag = "a",
	    .received_from = "127.0.0.1", .rf_family = AF_INET,
	    .flags = X_LOADLIMIT, .delete_delay = NUM(0) },
};

static const char *doc_lo, *doc_hi;

static void
check_str(const char *what, const struct ng_str *got, const char *want)
{
	size_t n = want ? strlen(want) : 0;

	if (got->len != n || (n > 0 && memcmp(got->p, want, n) != 0))
		fail_msg("%s: got \"%.*s\", want \"%s\"", what, (int)got->len,
		    got->p ? got->p : "", want ? want : "");
	if (got->len > 0) {
		/* Strings point into the document, never into a copy. */
		assert_true(got->p >= doc_lo && got->p + got->len <= doc_hi);
	}
}

static void
check_int(const char *what, int64_t got, const struct opt_int *want)
{
	int64_t w = want->set ? want->v : -1;

	if (got != w)
		fail_msg("%s: got %lld, want %lld", what, (long long)got, (long long)w);
}

static unsigned
flag_mask(const struct ng_request *r)
{
	return (r->sip_source_address ? X_SIPSRC : 0) | (r->trust_address ? X_TRUST : 0) |
	    (r->asymmetric ? X_ASYM : 0) | (r->symmetric ? X_SYM : 0) |
	    (r->strict_source ? X_STRICT : 0) | (r->media_handover ? X_HANDOVER : 0) |
	    (r->port_latching ? X_LATCHING : 0) | (r->fatal ? X_FATAL : 0) |
	    (r->all ? X_ALL : 0) | (r->record_call ? X_RECORD : 0) |
	    (r->srtp_asked ? X_SRTP : 0) | (r->replace_origin ? X_ORIGIN : 0) |
	    (r->replace_session_connection ? X_SESSCONN : 0) |
	    (r->supports_load_limit ? X_LOADLIMIT : 0);
}

static void
check_ignored(const struct ng_request *r, const char *want)
{
	char got[512];
	size_t off = 0;
	unsigned i;

	got[0] = '\0';
	assert_true(r->nignored <= NG_MAX_WARNINGS);
	for (i = 0; i < r->nignored; i++) {
		assert_true(r->ignored[i].p >= doc_lo &&
		    r->ignored[i].p + r->ignored[i].len <= doc_hi);
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%.*s",
		    i ? "|" : "", (int)r->ignored[i].len, r->ignored[i].p);
	}
	if (strcmp(got, want ? want : "") != 0)
		fail_msg("ignored: got \"%s\", want \"%s\"", got, want ? want : "");
}

static void
run_row(void **state)
{
	const struct row *w = *state;
	size_t len = strlen(w->doc), used;
	struct ng_request r;
	struct bnode *root;
	struct bdoc d;
	char err[256], *buf;
	int rc;

	buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, w->doc, len);
	doc_lo = buf;
	doc_hi = buf + len;
	bdoc_init(&d);
	rc = bencode_decode(&d, buf, len, &root, &used, err, sizeof(err));
	if (rc != 0)
		fail_msg("the row's document does not decode: %s", err);
	assert_int_equal(used, len);

	err[0] = '\0';
	rc = ng_request_parse(root, &r, err, sizeof(err));
	if (w->err != NULL) {
		assert_int_equal(rc, -1);
		assert_string_equal(err, w->err);
		goto out;
	}
	if (rc != 0)
		fail_msg("parse failed: %s", err);
	assert_int_equal(r.command, w->cmd);
	check_str("call-id", &r.call_id, w->call_id);
	check_str("from-tag", &r.from_tag, w->from_tag);
	check_str("to-tag", &r.to_tag, w->to_tag);
	check_str("via-branch", &r.via_branch, w->via_branch);
	check_str("sdp", &r.sdp, w->sdp);
	check_str("label", &r.label, w->label);
	check_str("set-label", &r.set_label, w->set_label);
	check_str("transport-protocol", &r.transport_protocol, w->transport);
	check_str("media-address", &r.media_address, w->media_address);
	check_str("direction[0]", &r.direction[0], w->dir0);
	check_str("direction[1]", &r.direction[1], w->dir1);
	assert_int_equal(r.address_family, w->family);
	assert_string_equal(r.received_from, w->received_from ? w->received_from : "");
	assert_int_equal(r.received_from_family, w->rf_family);
	check_int("delete-delay", r.delete_delay, &w->delete_delay);
	check_int("limit", r.limit, &w->limit);
	check_int("record-call", r.record_call_key, &w->record_key);
	if (flag_mask(&r) != w->flags)
		fail_msg("flags: got 0x%x, want 0x%x", flag_mask(&r), w->flags);
	assert_int_equal(r.ice, w->ice);
	assert_int_equal(r.rtcp_mux, w->mux);
	check_ignored(&r, w->ignored);
out:
	bdoc_free(&d);
	free(buf);
}

/* Not a dictionary, or no document at all: rtpengine's own words. */
static void
test_not_a_dict(void **state)
{
	struct ng_request r;
	struct bnode list = { .type = BN_LIST };
	char err[64];

	(void)state;
	assert_int_equal(ng_request_parse(NULL, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "Invalid NG data format");
	assert_int_equal(ng_request_parse(&list, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "Invalid NG data format");
}

static void
test_family_and_names(void **state)
{
	static const struct { const char *s; int af; } fam[] = {
		{ "IP4", AF_INET }, { "IPv4", AF_INET }, { "4", AF_INET },
		{ "IP6", AF_INET6 }, { "IPv6", AF_INET6 }, { "6", AF_INET6 },
		{ "ip4", 0 }, { "", 0 }, { "IP46", 0 },
	};
	struct ng_str s;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		s.p = fam[i].s;
		s.len = strlen(fam[i].s);
		assert_int_equal(ng_family_parse(&s), fam[i].af);
	}
	/* Every command has a name, and the names tell them apart. */
	for (i = 1; i < NG_COMMAND_MAX; i++)
		assert_string_not_equal(ng_command_name((enum ng_command)i), "?");
	assert_string_equal(ng_command_name(NG_COMMAND_MAX), "?");
	assert_string_equal(ng_command_name(NG_UNKNOWN), "?");
}

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

int
main(void)
{
	static struct CMUnitTest tests[NROWS + 2];
	size_t i;

	for (i = 0; i < NROWS; i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	tests[i].name = "not a dictionary";
	tests[i++].test_func = test_not_a_dict;
	tests[i].name = "family names and command names";
	tests[i++].test_func = test_family_and_names;
	return _cmocka_run_group_tests("ng_request", tests, i, NULL, NULL);
}
