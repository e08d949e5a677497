/*
 * A tiny reader for the flat JSON objects the library produces (messages,
 * published events), so tests compare decoded fields instead of exact
 * spacing. Header-only (static inline) so the service suite can include it
 * from any directory that compiles tests/service/service_test.c.
 */
#ifndef TEST_FLAT_JSON_H
#define TEST_FLAT_JSON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { FJ_STRING = 1, FJ_NUMBER, FJ_NULL, FJ_BOOL };

typedef struct fj_field {
	char key[64];
	int type;
	char value[1024]; /* decoded string, or the number/literal text */
} fj_field;

static inline void fj_skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static inline int fj_put_utf8(char *out, size_t *len, size_t cap, uint32_t cp)
{
	unsigned char buf[4];
	size_t n;
	if (cp < 0x80) {
		buf[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		buf[0] = (unsigned char)(0xC0 | (cp >> 6));
		buf[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		buf[0] = (unsigned char)(0xE0 | (cp >> 12));
		buf[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		buf[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		buf[0] = (unsigned char)(0xF0 | (cp >> 18));
		buf[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		buf[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		buf[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	if (*len + n >= cap)
		return -1;
	memcpy(out + *len, buf, n);
	*len += n;
	return 0;
}

static inline int fj_hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Decode a JSON string at *p (on the opening quote). Raw control characters
 * inside the string are an error, as JSON requires. */
static inline int fj_string(const char **p, char *out, size_t cap)
{
	size_t len = 0;
	if (**p != '"')
		return -1;
	(*p)++;
	for (;;) {
		unsigned char c = (unsigned char)**p;
		if (c == '\0' || c < 0x20)
			return -1;
		(*p)++;
		if (c == '"')
			break;
		if (c != '\\') {
			if (len + 1 >= cap)
				return -1;
			out[len++] = (char)c;
			continue;
		}
		c = (unsigned char)**p;
		(*p)++;
		const char *simple = "\"\\/bfnrt";
		const char *decoded = "\"\\/\b\f\n\r\t";
		const char *hit = c ? strchr(simple, c) : NULL;
		if (hit) {
			if (len + 1 >= cap)
				return -1;
			out[len++] = decoded[hit - simple];
			continue;
		}
		if (c != 'u')
			return -1;
		uint32_t cp;
		if (fj_hex4(*p, &cp) != 0)
			return -1;
		*p += 4;
		if (cp >= 0xD800 && cp < 0xDC00) {
			uint32_t lo;
			if ((*p)[0] != '\\' || (*p)[1] != 'u' || fj_hex4(*p + 2, &lo) != 0 ||
			    lo < 0xDC00 || lo > 0xDFFF)
				return -1;
			*p += 6;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
		if (fj_put_utf8(out, &len, cap, cp) != 0)
			return -1;
	}
	out[len] = '\0';
	return 0;
}

/* Parse a flat object into fields (in document order). Returns the number of
 * fields, or -1 when the text is not a flat JSON object. */
static inline int fj_parse(const char *json, fj_field *fields, int max)
{
	const char *p = json;
	int n = 0;
	if (!json)
		return -1;
	fj_skip_ws(&p);
	if (*p++ != '{')
		return -1;
	fj_skip_ws(&p);
	if (*p == '}') {
		p++;
		goto end;
	}
	for (;;) {
		if (n == max)
			return -1;
		fj_field *f = &fields[n++];
		fj_skip_ws(&p);
		if (fj_string(&p, f->key, sizeof f->key) != 0)
			return -1;
		fj_skip_ws(&p);
		if (*p++ != ':')
			return -1;
		fj_skip_ws(&p);
		if (*p == '"') {
			f->type = FJ_STRING;
			if (fj_string(&p, f->value, sizeof f->value) != 0)
				return -1;
		} else if (strncmp(p, "null", 4) == 0) {
			f->type = FJ_NULL;
			strcpy(f->value, "null");
			p += 4;
		} else if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
			f->type = FJ_BOOL;
			size_t k = *p == 't' ? 4 : 5;
			memcpy(f->value, p, k);
			f->value[k] = '\0';
			p += k;
		} else {
			char *end;
			(void)strtoll(p, &end, 10);
			if (end == p || (size_t)(end - p) >= sizeof f->value)
				return -1;
			f->type = FJ_NUMBER;
			memcpy(f->value, p, (size_t)(end - p));
			f->value[end - p] = '\0';
			p = end;
		}
		fj_skip_ws(&p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return -1;
		break;
	}
end:
	fj_skip_ws(&p);
	return *p == '\0' ? n : -1;
}

/* The field named key, or NULL. */
static inline const fj_field *fj_get(const fj_field *fields, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(fields[i].key, key) == 0)
			return &fields[i];
	return NULL;
}

#endif
