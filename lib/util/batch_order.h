/* The dashboard's order of batches (spec §1.4): by sku, then allocation
 * preference (ETA key, in stock first; then creation sequence). Shared by
 * the stores that sort in memory and by the cursors that resume a page. */
#ifndef LA_UTIL_BATCH_ORDER_H
#define LA_UTIL_BATCH_ORDER_H

#include <stdint.h>

/* <0, 0 or >0 as batch a sorts before, with or after batch b. */
int la__batch_order_compare(const char *sku_a, int32_t eta_key_a, int64_t sequence_a,
                            const char *sku_b, int32_t eta_key_b, int64_t sequence_b);

#endif
