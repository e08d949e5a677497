/* A JSON syntax check that allocates nothing (see json_valid.h). */
#include "json_valid.h"

#include "util/text.h"

#include <string.h>

#define MAX_DEPTH 64

struct cursor {
	const char *p, *end;
};

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* The code unit of "\\uXXXX" at p (c->end permitting), or -1. */
static long escape_unit(const struct cursor *c, const char *p)
{
	long unit = 0;
	if (c->end - p < 6 || p[0] != '\\' || p[1] != 'u')
		return -1;
	for (int i = 2; i < 6; i++) {
		char ch = p[i];
		if (!is_hex(ch))
			return -1;
		unit = unit * 16 + (ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
	}
	return unit;
}

/* As jansson takes strings: no \\u0000, surrogates only in pairs. */
static int string(struct cursor *c)
{
	const char *start = ++c->p; /* after the opening quote */
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;
		if (ch < 0x20)
			return 0;
		if (ch == '\\') {
			long unit = escape_unit(c, c->p);
			if (unit >= 0xDC00 && unit <= 0xDFFF)
				return 0;
			if (unit >= 0xD800 && unit <= 0xDBFF) {
				long low = escape_unit(c, c->p + 6);
				if (low < 0xDC00 || low > 0xDFFF)
					return 0;
				c->p += 6;
			}
			if (unit == 0)
				return 0;
			if (unit > 0)
				c->p += 5;
			else if (++c->p >= c->end || !strchr("\"\\/bfnrt", *c->p))
				return 0;
		}
		c->p++;
	}
	if (c->p >= c->end || !la__utf8_valid(start, (size_t)(c->p - start)))
		return 0;
	c->p++;
	return 1;
}

static int digits(struct cursor *c)
{
	const char *start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start;
}

static int number(struct cursor *c)
{
	if (*c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!digits(c))
		return 0;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!digits(c))
			return 0;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!digits(c))
			return 0;
	}
	return 1;
}

static int literal(struct cursor *c, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

static int value(struct cursor *c, int depth);

/* An object or an array, from its opening bracket. */
static int container(struct cursor *c, int depth, char close)
{
	if (depth >= MAX_DEPTH)
		return 0;
	c->p++;
	skip_space(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 1;
	}
	for (;;) {
		if (close == '}') {
			if (c->p >= c->end || *c->p != '"' || !string(c))
				return 0;
			skip_space(c);
			if (c->p >= c->end || *c->p++ != ':')
				return 0;
			skip_space(c);
		}
		if (!value(c, depth + 1))
			return 0;
		skip_space(c);
		if (c->p >= c->end)
			return 0;
		if (*c->p == close) {
			c->p++;
			return 1;
		}
		if (*c->p++ != ',')
			return 0;
		skip_space(c);
	}
}

static int value(struct cursor *c, int depth)
{
	if (c->p >= c->end)
		return 0;
	switch (*c->p) {
	case '{':
		return container(c, depth, '}');
	case '[':
		return container(c, depth, ']');
	case '"':
		return string(c);
	case 't':
		return literal(c, "true");
	case 'f':
		return literal(c, "false");
	case 'n':
		return literal(c, "null");
	default:
		return (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) && number(c);
	}
}

int redis_json_valid(const char *text, size_t len)
{
	struct cursor c = {text, text + len};
	skip_space(&c);
	if (!value(&c, 0))
		return 0;
	skip_space(&c);
	return c.p == c.end;
}

int redis_json_out_of_memory(const json_error_t *error, const char *text, size_t len)
{
	/* a failure before parsing leaves the code byte unset: no message then */
	int code = json_error_code(error);
	return (!error->text[0] || code == json_error_out_of_memory ||
	        code == json_error_invalid_syntax) &&
	       redis_json_valid(text, len);
}
