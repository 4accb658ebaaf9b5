/*
 * sim_xml.c - text safe to put in the SVG that rtproam-sim draws.
 */
#include "sim_xml.h"

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Text as XML character data or attribute value: markup characters as
 * entities; control characters and broken UTF-8, which XML forbids, as
 * '?'. The text comes from the command line (the label) and relays.
 */
void
sim_xml_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			if (*p >= 0x80) {
				if ((n = utf8_len(p)) == 0) {
					fputc('?', f);
					break;
				}
				fwrite(p, 1, n, f);
				p += n;
				continue;
			}
			fputc(*p < 0x20 ? '?' : *p, f);
		}
		p++;
	}
}
