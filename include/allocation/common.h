/*
 * liballocation — common definitions: export macro, status codes, errors,
 * logging, allocator hook and version query.
 *
 * Threads: every function in this library may be called from any thread.
 * A handle (bus, store, product, message, list) is used by one thread at a
 * time; separate handles work in parallel. The only process-wide settings are
 * the log callback and the allocator, which must be set before first use.
 */
#ifndef ALLOCATION_COMMON_H
#define ALLOCATION_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define LA_BEGIN_DECL extern "C" {
#define LA_END_DECL   }
#else
#define LA_BEGIN_DECL
#define LA_END_DECL
#endif

#if defined(_WIN32)
#define LA_EXTERN(type) __declspec(dllexport) type
#elif defined(__GNUC__)
#define LA_EXTERN(type) __attribute__((visibility("default"))) type
#else
#define LA_EXTERN(type) type
#endif

LA_BEGIN_DECL

/** Compile-time version of the headers. */
#define LA_VERSION_MAJOR  1
#define LA_VERSION_MINOR  0
#define LA_VERSION_PATCH  0
#define LA_VERSION_STRING "1.0.0"

/**
 * Status codes. Fallible functions return LA_OK (0) or one of these negative
 * codes. Codes are never renumbered; a retired code keeps its number.
 */
typedef enum la_status {
	LA_OK = 0,
	LA_EINVAL = -1,       /**< invalid argument: bad field, bad format */
	LA_ENOTFOUND = -2,    /**< unknown sku, batch reference or line */
	LA_ECONFLICT = -3,    /**< conflicting data or a concurrent change */
	LA_EUNSUPPORTED = -4, /**< the adapter or build cannot do this */
	LA_ENOMEM = -5,       /**< an allocation failed */
	LA_EDB = -6,          /**< the database reported an error */
	LA_EIO = -7,          /**< a file or network operation failed */
	LA_EUSER = -8,        /**< a user callback asked to abort */
	LA_ESTATE = -9        /**< call not valid in this state */
} la_status;

/** Static name of a status code ("LA_EINVAL", ...); never NULL. */
LA_EXTERN(const char *) la_strerror(int code);

/**
 * Message of the last failure on the calling thread (UTF-8), or "" when
 * there was none. Borrowed: valid until the next failing call on this thread.
 */
LA_EXTERN(const char *) la_error_last(void);

/** Code of the last failure on the calling thread, LA_OK when none. */
LA_EXTERN(int) la_error_last_code(void);

/** Forget the calling thread's last error. */
LA_EXTERN(void) la_error_clear(void);

/** Log levels, most severe first. */
typedef enum la_log_level {
	LA_LOG_ERROR = 1,
	LA_LOG_WARN = 2,
	LA_LOG_INFO = 3,
	LA_LOG_DEBUG = 4
} la_log_level;

/** A log sink. Called from whichever thread logs; must be thread-safe. */
typedef void (*la_log_fn)(int level, const char *message, void *payload);

/**
 * Route the library's log lines to fn (NULL: silent, the default).
 * Set before first use; not synchronised with concurrent logging.
 */
LA_EXTERN(void) la_set_log_callback(la_log_fn fn, void *payload);

/** Allocator hook: all memory the core allocates goes through these. */
typedef void *(*la_malloc_fn)(size_t size);
typedef void *(*la_realloc_fn)(void *ptr, size_t size);
typedef void (*la_free_fn)(void *ptr);

/**
 * Replace the allocator (all three, or all NULL to restore malloc/realloc/
 * free). Set before first use, when no object of this library is alive.
 */
LA_EXTERN(int)
la_set_allocator(la_malloc_fn malloc_fn, la_realloc_fn realloc_fn, la_free_fn free_fn);

/** Run-time version of the library, e.g. "1.0.0". Static string. */
LA_EXTERN(const char *) la_version(void);

/** Run-time version numbers; any out pointer may be NULL. */
LA_EXTERN(void) la_version_numbers(int *major, int *minor, int *patch);

LA_END_DECL

#endif
