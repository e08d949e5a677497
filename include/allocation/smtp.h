/**
 * @file allocation/smtp.h
 * @brief liballocation-smtp: the notifications port over SMTP (libcurl).
 *
 * A handle holds the server URL ("smtp://host:port", "smtps://..." or
 * "smtp://host:port/heloname") and the sender address. la_smtp_notify has
 * the signature of la_notify_fn, so a handle plugs straight into a bus:
 *
 * @code
 *   la_smtp *smtp;
 *   la_smtp_new(&smtp, "smtp://127.0.0.1:1025", NULL);
 *   opts.notify = la_smtp_notify;
 *   opts.notify_payload = smtp;
 * @endcode
 *
 * Every message is a plain-text e-mail: From the sender, To the destination,
 * Subject "allocation service notification", the message as its body.
 *
 * Threads: a handle is thread-safe; calls on one handle are serialised (one
 * SMTP conversation at a time, reusing its connection). For sends in
 * parallel, give each thread (each bus) its own handle.
 */
#ifndef ALLOCATION_SMTP_H
#define ALLOCATION_SMTP_H

#include "common.h"

LA_BEGIN_DECL

/** An SMTP notifications handle (opaque). */
typedef struct la_smtp la_smtp;

/** Sender used when la_smtp_new is given from = NULL. */
#define LA_SMTP_DEFAULT_FROM "allocations@example.com"
/** Subject of every e-mail. */
#define LA_SMTP_SUBJECT "allocation service notification"

/**
 * New handle for the server at url (copied).
 * @param[out] out the handle, owned by the caller (la_smtp_free()).
 * @param url "smtp://host:port", "smtps://..." or "smtp://host:port/heloname".
 * @param from the sender address, or NULL.
 * @return #LA_OK, #LA_EINVAL, #LA_ENOMEM.
 * from is the sender address, or
 * NULL for LA_SMTP_DEFAULT_FROM. No connection is made yet. LA_EINVAL for a
 * URL that is not smtp:// or smtps:// or a malformed address. *out owned by
 * the caller (la_smtp_free).
 */
LA_EXTERN(int) la_smtp_new(la_smtp **out, const char *url, const char *from);

/**
 * Send a notification as an e-mail (a #la_notify_fn).
 * @param destination the recipient's address (borrowed for the call).
 * @param message the body, UTF-8 (borrowed for the call).
 * @param smtp the la_smtp handle.
 * @return #LA_OK, #LA_EINVAL or #LA_EIO, as below.
 * @par Thread safety
 * Calls on one handle are serialised; see the file's description.
 *
 * Send message (UTF-8) to destination (an e-mail address). smtp is a
 * la_smtp *. Returns LA_OK once the server accepted the e-mail, LA_EINVAL
 * for a bad address, LA_EIO when the server could not be reached or refused
 * it (la_error_last says why). Never retries on its own.
 */
LA_EXTERN(int) la_smtp_notify(const char *destination, const char *message, void *smtp);

/** Close the connection and free the handle; NULL is fine. */
LA_EXTERN(void) la_smtp_free(la_smtp *smtp);

LA_END_DECL

#endif
