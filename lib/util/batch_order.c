#include "batch_order.h"

#include <string.h>

int la__batch_order_compare(const char *sku_a, int32_t eta_key_a, int64_t sequence_a,
                            const char *sku_b, int32_t eta_key_b, int64_t sequence_b)
{
	int by_sku = strcmp(sku_a, sku_b);
	if (by_sku)
		return by_sku;
	if (eta_key_a != eta_key_b)
		return eta_key_a < eta_key_b ? -1 : 1;
	return sequence_a < sequence_b ? -1 : sequence_a > sequence_b;
}
