/*
 * bench_record.h - the record files of the load generators: one line per
 * run, "label=NAME key=value ...", appended by the runs and read back by
 * --summary. The tools differ in their keys; the file handling and the
 * splitting of a line into pairs are here once.
 */
#ifndef RTPBENCH_RECORD_H
#define RTPBENCH_RECORD_H

#include "bench.h"

/* Open path to append one record; NULL after saying why. */
static inline FILE *
record_open(const char *path)
{
	FILE *fp;

	if ((fp = fopen(path, "a")) == NULL)
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
		    path, strerror(errno));
	return fp;
}

/* Close a record opened by record_open(); 0, or -1 after saying why. */
static inline int
record_close(FILE *fp, const char *path)
{
	if (fclose(fp) != 0) {
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Call pair(arg, key, value) for each "key=value" word of line, which is
 * cut up in place. -1 at a word without '=': not a record line.
 */
static inline int
record_pairs(char *line, void (*pair)(void *, const char *, const char *),
    void *arg)
{
	char *tok, *save, *eq;

	for (tok = strtok_r(line, " \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\n", &save)) {
		if ((eq = strchr(tok, '=')) == NULL)
			return -1;
		*eq++ = '\0';
		pair(arg, tok, eq);
	}
	return 0;
}

/*
 * Read the records of path into rows (max of them, size bytes each),
 * skipping the lines parse() refuses. The number read, or -1 when the
 * file cannot be read (said).
 */
static inline long
record_load(const char *path, void *rows, size_t size, size_t max,
    int (*parse)(char *, void *))
{
	char line[4096];
	size_t n = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
		    path, strerror(errno));
		return -1;
	}
	while (n < max && fgets(line, sizeof(line), fp) != NULL)
		if (parse(line, (char *)rows + n * size) == 0)
			n++;
	if (fclose(fp) != 0)
		return -1;
	return (long)n;
}

#endif
