/**
 * @file allocation/common.h
 * @brief Common definitions: export macro, status codes, errors, logging,
 * allocator hook and version query.
 *
 * Errors: fallible functions return #LA_OK (0) or a negative #la_status code
 * and leave a message for the calling thread in la_error_last().
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
/** Opens the declarations of a header (`extern "C" {` in C++). */
#define LA_BEGIN_DECL
/** Closes the declarations of a header (`}` in C++). */
#define LA_END_DECL
#endif

#if defined(_WIN32)
#define LA_EXTERN(type) __declspec(dllexport) type
#elif defined(__GNUC__)
#define LA_EXTERN(type) __attribute__((visibility("default"))) type
#else
/** Declares an exported function returning @p type (default visibility). */
#define LA_EXTERN(type) type
#endif

LA_BEGIN_DECL

/** Major version of the headers: changes only with an ABI break (SONAME). */
#define LA_VERSION_MAJOR 1
/** Minor version of the headers: new functions or struct members. */
#define LA_VERSION_MINOR 0
/** Patch version of the headers: fixes only. */
#define LA_VERSION_PATCH 0
/** The header version as a string, "MAJOR.MINOR.PATCH". */
#define LA_VERSION_STRING "1.0.0"

/**
 * Status codes. Fallible functions return LA_OK (0) or one of these negative
 * codes. Codes are never renumbered; a retired code keeps its number.
 */
typedef enum la_status {
	LA_OK = 0,            /**< success */
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

/**
 * Static name of a status code.
 *
 * @param code a #la_status value (any int is accepted).
 * @return "LA_EINVAL", ...; "LA_EUNKNOWN" for a code this version does not
 *         know. Never NULL; static storage, never freed.
 * @par Thread safety
 * Safe from any thread.
 */
LA_EXTERN(const char *) la_strerror(int code);

/**
 * Message of the last failure on the calling thread.
 *
 * @return UTF-8 text naming the problem, or "" when there was none.
 *         Borrowed: valid until the next failing call on this thread.
 * @par Thread safety
 * Per thread: another thread's failures never overwrite it.
 */
LA_EXTERN(const char *) la_error_last(void);

/**
 * Code of the last failure on the calling thread.
 *
 * @return the #la_status of the last failure, #LA_OK when none.
 * @par Thread safety
 * Per thread, like la_error_last().
 */
LA_EXTERN(int) la_error_last_code(void);

/**
 * Forget the calling thread's last error (code and message).
 *
 * @par Thread safety
 * Per thread, like la_error_last().
 */
LA_EXTERN(void) la_error_clear(void);

/** Log levels, most severe first. */
typedef enum la_log_level {
	LA_LOG_ERROR = 1, /**< a failure the caller cannot see otherwise */
	LA_LOG_WARN = 2,  /**< something was dropped or skipped */
	LA_LOG_INFO = 3,  /**< notable events */
	LA_LOG_DEBUG = 4  /**< detail for developers (e.g. retries) */
} la_log_level;

/**
 * A log sink.
 *
 * @param level a #la_log_level.
 * @param message one line of text, without a newline; borrowed for the call.
 * @param payload the pointer given to la_set_log_callback().
 *
 * Called from whichever thread logs; must be thread-safe.
 */
typedef void (*la_log_fn)(int level, const char *message, void *payload);

/**
 * Route the library's log lines to @p fn.
 *
 * @param fn the sink, or NULL for silence (the default).
 * @param payload passed to every call of @p fn; not owned.
 * @par Thread safety
 * A process-wide setting: set before first use; not synchronised with
 * concurrent logging.
 */
LA_EXTERN(void) la_set_log_callback(la_log_fn fn, void *payload);

/** Allocator hook, malloc(): all memory the core allocates goes through it. */
typedef void *(*la_malloc_fn)(size_t size);
/** Allocator hook, realloc(). */
typedef void *(*la_realloc_fn)(void *ptr, size_t size);
/** Allocator hook, free(). */
typedef void (*la_free_fn)(void *ptr);

/**
 * Replace the core library's allocator (used for fault injection by the
 * out-of-memory tests, or to account memory).
 *
 * @param malloc_fn, realloc_fn, free_fn all three, or all NULL to restore
 *        malloc/realloc/free.
 * @return #LA_OK; #LA_EINVAL when only some are NULL (the allocator is then
 *         unchanged).
 * @par Thread safety
 * A process-wide setting: set before first use, when no object of this
 * library is alive.
 */
LA_EXTERN(int)
la_set_allocator(la_malloc_fn malloc_fn, la_realloc_fn realloc_fn, la_free_fn free_fn);

/**
 * Run-time version of the library.
 *
 * @return e.g. "1.0.0"; static storage. Compare with #LA_VERSION_STRING to
 *         detect a header/library mismatch.
 * @par Thread safety
 * Safe from any thread.
 */
LA_EXTERN(const char *) la_version(void);

/**
 * Run-time version numbers.
 *
 * @param[out] major, minor, patch receive the numbers; any may be NULL.
 * @par Thread safety
 * Safe from any thread.
 */
LA_EXTERN(void) la_version_numbers(int *major, int *minor, int *patch);

LA_END_DECL

#endif
