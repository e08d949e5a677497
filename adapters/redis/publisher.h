/* The publisher's internals shared with the relay. */
#ifndef REDIS_PUBLISHER_H
#define REDIS_PUBLISHER_H

#include <allocation/redis.h>

/* LA_EINVAL unless mode is LA_REDIS_PUBSUB or LA_REDIS_STREAMS. */
int redis_check_mode(int mode);

/* Close the publisher's connection (the next publish reconnects). */
void redis_publisher_disconnect(la_redis *r);

#endif
