/*
 * sim_xml.h - XML character data for sim_svg.c.
 */
#ifndef RTPROAM_SIM_XML_H
#define RTPROAM_SIM_XML_H

#include <stdio.h>

/*
 * Text as XML character data or attribute value: markup characters as
 * entities; control characters and broken UTF-8, which XML forbids, as
 * '?'. The text comes from the command line (the label) and relays.
 */
void	sim_xml_text(FILE *f, const char *s);

#endif
