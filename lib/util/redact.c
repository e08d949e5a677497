#include "redact.h"

#include "alloc.h"

#include <string.h>

#define HIDDEN "***"

typedef struct sink {
	char *out;
	size_t size, len;
} sink;

static void put(sink *k, const char *s, size_t n)
{
	if (k->size == 0)
		return;
	size_t room = k->size - 1 - k->len;
	if (n > room)
		n = room;
	memcpy(k->out + k->len, s, n);
	k->len += n;
	k->out[k->len] = '\0';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static char lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/* Non-zero when the scheme just before "://" at s is name (any case). */
static int scheme_is(const char *text, const char *s, const char *name)
{
	size_t n = strlen(name);
	if ((size_t)(s - text) < n)
		return 0;
	const char *start = s - n;
	for (size_t i = 0; i < n; i++)
		if (lower(start[i]) != name[i])
			return 0;
	return start == text || !((start[-1] >= 'a' && start[-1] <= 'z') ||
	                          (start[-1] >= 'A' && start[-1] <= 'Z') || start[-1] == '+');
}

/* After "://" at s: the last '@' of the authority (which ends at '/', '?',
 * '#', a space or a quote), or NULL. */
static const char *userinfo_end(const char *s)
{
	const char *at = NULL;
	for (; *s && !strchr("/?#\"'", *s) && !is_space(*s); s++)
		if (*s == '@')
			at = s;
	return at;
}

/* "password" (any case) at s, as a keyword or a query parameter, then '='
 * (spaces around it, as libpq allows): how many bytes up to the value; 0
 * when s is not there. */
static size_t password_key(const char *text, const char *s)
{
	static const char key[] = "password";
	if (s > text && !is_space(s[-1]) && s[-1] != '?' && s[-1] != '&')
		return 0;
	size_t n = 0;
	for (; key[n]; n++)
		if (lower(s[n]) != key[n])
			return 0;
	while (is_space(s[n]))
		n++;
	if (s[n] != '=')
		return 0;
	n++;
	while (is_space(s[n]))
		n++;
	return n;
}

/* The value at s: 'single-quoted' with backslash escapes (libpq), or up
 * to a space, '&' or '#'. */
static size_t value_length(const char *s)
{
	if (*s != '\'')
		return strcspn(s, " \t\n\r\f\v&#");
	size_t n = 1;
	while (s[n] && s[n] != '\'')
		n += s[n] == '\\' && s[n + 1] ? 2 : 1;
	return s[n] ? n + 1 : n;
}

void la__redact(char *out, size_t size, const char *text)
{
	sink k = {out, size, 0};
	if (size)
		out[0] = '\0';
	for (const char *s = text ? text : ""; *s;) {
		size_t key;
		if (strncmp(s, "://", 3) == 0) {
			const char *at = userinfo_end(s + 3);
			int whole = scheme_is(text, s, "redis") || scheme_is(text, s, "rediss");
			put(&k, s, 3);
			s += 3;
			if (at) {
				const char *colon = memchr(s, ':', (size_t)(at - s));
				if (colon || whole) {
					const char *user_end = colon ? colon + 1 : s;
					put(&k, s, (size_t)(user_end - s));
					put(&k, HIDDEN, sizeof HIDDEN - 1);
				} else {
					put(&k, s, (size_t)(at - s));
				}
				s = at;
			}
		} else if ((key = password_key(text, s)) > 0) {
			put(&k, s, key);
			s += key;
			size_t n = value_length(s);
			if (n)
				put(&k, HIDDEN, sizeof HIDDEN - 1);
			s += n;
		} else {
			put(&k, s, 1);
			s++;
		}
	}
}

/* Non-zero when the n bytes at piece occur in text. */
static int contains(const char *text, const char *piece, size_t n)
{
	for (; *text; text++)
		if (strncmp(text, piece, n) == 0)
			return 1;
	return n == 0;
}

void la__redact_quoted(char *out, size_t size, const char *message, const char *source)
{
	size_t cap = 2 * strlen(source ? source : "") + sizeof HIDDEN;
	char *shown = la__malloc(cap); /* NULL: every quoted piece is hidden */
	char *kept = la__malloc(size ? size : 1);
	if (shown)
		la__redact(shown, cap, source);
	if (!kept) { /* out of memory: say nothing rather than too much */
		la__free(shown);
		la__redact(out, size, "");
		return;
	}
	sink k = {kept, size ? size : 1, 0};
	kept[0] = '\0';
	for (const char *s = message ? message : ""; *s;) {
		const char *close = *s == '"' ? strchr(s + 1, '"') : NULL;
		if (!close) {
			put(&k, s, 1);
			s++;
			continue;
		}
		size_t n = (size_t)(close - s - 1);
		put(&k, "\"", 1);
		if (shown && contains(shown, s + 1, n))
			put(&k, s + 1, n);
		else
			put(&k, HIDDEN, sizeof HIDDEN - 1);
		put(&k, "\"", 1);
		s = close + 1;
	}
	la__redact(out, size, kept);
	la__free(kept);
	la__free(shown);
}
