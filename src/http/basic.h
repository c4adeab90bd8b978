/* basic.h - HTTP Basic credentials for OAuth client authentication.
 *
 * RFC 7617 with RFC 6749 §2.3.1: the scheme is case-insensitive, followed by
 * one or more spaces and strict standard base64 of "id:secret"; the id and the
 * secret are each form-urlencoded and decoded here. The id must not be empty.
 * Results live in the arena. */
#ifndef KH_HTTP_BASIC_H
#define KH_HTTP_BASIC_H

#include "core/arena.h"
#include "core/status.h"

/* KH_ERR_NOTFOUND if the header is not of the Basic scheme (so the caller may try
 * another), KH_ERR_INVALID if it is Basic but malformed. */
enum kh_status basic_parse(struct arena *a, const char *header, const char **id,
                           const char **secret) KH_MUST_CHECK;

#endif
