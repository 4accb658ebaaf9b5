/*
 * sim_timeline.c - count one run's packets per 20 ms bin. Pure.
 */
#include "sim_timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An hour: more than any run the simulator accepts. */
#define TL_MAX_BINS	(3600 * (1000000 / SIM_TL_BIN_US))

static int64_t
floor_bin(int64_t t)
{
	int64_t q = t / SIM_TL_BIN_US;

	/* C division truncates towards zero; bins start below. */
	if (t % SIM_TL_BIN_US != 0 && t < 0)
		q--;
	return q * SIM_TL_BIN_US;
}

int
sim_tl_init(struct sim_timeline *tl, int64_t start_us, int64_t end_us)
{
	int64_t n;

	memset(tl, 0, sizeof(*tl));
	tl->mover = 'A';
	if (end_us <= start_us)
		return -1;
	tl->start_us = floor_bin(start_us);
	n = (end_us - tl->start_us + SIM_TL_BIN_US - 1) / SIM_TL_BIN_US;
	if (n > TL_MAX_BINS)
		return -1;
	if ((tl->bin = calloc((size_t)n, sizeof(*tl->bin))) == NULL)
		return -1;
	tl->nbins = (uint32_t)n;
	return 0;
}

void
sim_tl_free(struct sim_timeline *tl)
{
	free(tl->bin);
	tl->bin = NULL;
	tl->nbins = 0;
}

static void
inc(uint16_t *c)
{
	if (*c < UINT16_MAX)
		(*c)++;
}

void
sim_tl_count(struct sim_timeline *tl, int64_t t_us, enum sim_tl_series what,
    int dir, unsigned src)
{
	struct sim_tl_bin *b;
	int64_t i;

	if (tl->bin == NULL)
		return;
	i = (t_us - tl->start_us) / SIM_TL_BIN_US;
	if (t_us < tl->start_us)
		i = 0;
	else if (i >= (int64_t)tl->nbins)
		i = tl->nbins - 1;
	b = &tl->bin[i];
	dir = dir != 0;
	switch (what) {
	case SIM_TL_RX:
		if (src < SIM_TL_MAX_SRC)
			inc(&b->rx[dir][src]);
		break;
	case SIM_TL_STALE:
		if (src < SIM_TL_MAX_SRC)
			inc(&b->stale[dir][src]);
		break;
	case SIM_TL_INJECTED:
		inc(&b->injected[dir]);
		break;
	case SIM_TL_ATK_SENT:
		inc(&b->atk_sent);
		break;
	case SIM_TL_ATK_LEAKED:
		inc(&b->atk_leaked);
		break;
	}
}

int
sim_tl_mark(struct sim_timeline *tl, enum sim_tl_mark_kind kind, int move,
    int64_t t_us)
{
	if (tl->nmarks == SIM_TL_MAX_MARKS)
		return -1;
	tl->mark[tl->nmarks++] = (struct sim_tl_mark){ kind, move, t_us };
	return 0;
}

int
sim_tl_source(struct sim_timeline *tl, unsigned src, const char *addr)
{
	if (src >= SIM_TL_MAX_SRC)
		return -1;
	snprintf(tl->src[src], sizeof(tl->src[src]), "%s", addr);
	if (src >= tl->nsrc)
		tl->nsrc = src + 1;
	return 0;
}
