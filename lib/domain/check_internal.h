/* Internal to the core: an aggregate checks and repairs its own figures
 * (the memory store's check and repair, check.h). */
#ifndef LA_DOMAIN_CHECK_INTERNAL_H
#define LA_DOMAIN_CHECK_INTERNAL_H

#include <allocation/check.h>
#include <allocation/model.h>

/* Append what is inconsistent inside p: a batch's allocated quantity, line
 * count or held quantity against its lines, over-allocation, a line not
 * positive, the version. */
int la__product_check(const la_product *p, la_check_report *into);
/* Recompute every batch's figures from its lines; one finding per change. */
int la__product_repair(la_product *p, la_check_report *into);
/* fn for each line of p: allocated (its batch's ref) or waiting (NULL), in
 * batch order then arrival; stops at the first non-LA_OK answer. */
typedef int (*la__line_visit_fn)(const char *orderid, const char *batchref, void *arg);
int la__product_each_line(const la_product *p, la__line_visit_fn fn, void *arg);

#endif
