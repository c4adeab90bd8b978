/* log.h - JSON lines on stderr, one object per event.
 *
 * A log line can never carry a secret: a field whose key names a secret
 * (password, secret, token, authorization, code, ...) is written as
 * "[redacted]", and so is any value that looks like a keyhold secret
 * (khs_/khr_/kha_) or a JWT, whatever its key. Thread safe: lines are never
 * interleaved. Unbuffered (one write(2) per line) unless log_buffer_start(). */
#ifndef KH_CORE_LOG_H
#define KH_CORE_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

enum log_type { LOG_T_STR, LOG_T_INT };

struct log_field {
    const char *key;
    enum log_type type;
    const char *s; /* LOG_T_STR; NULL leaves the field out */
    int64_t i;     /* LOG_T_INT */
};

#define LOG_STR(k, v) ((struct log_field){.key = (k), .type = LOG_T_STR, .s = (v)})
#define LOG_INT(k, v) ((struct log_field){.key = (k), .type = LOG_T_INT, .i = (int64_t)(v)})

void log_set_level(enum log_level level);

/* Buffered lines, for the server: info and debug lines reach stderr within
 * LOG_FLUSH_MS (in one write with the others), warnings and errors at once.
 * log_buffer_stop() writes what is pending and goes back to unbuffered. */
#define LOG_FLUSH_MS 20
int log_buffer_start(void);
void log_buffer_stop(void);
/* Parses "debug|info|warn|error"; returns -1 on an unknown name. */
int log_level_parse(const char *name);
/* Writes {"ts":...,"level":...,"event":...,<fields>} and a newline to stderr. */
void log_emit(enum log_level level, const char *event, const struct log_field *fields, size_t n);

#define LOG_FIELDS(...) ((const struct log_field[]){__VA_ARGS__}), \
    (sizeof((const struct log_field[]){__VA_ARGS__}) / sizeof(struct log_field))
#define log_info(event, ...) log_emit(LOG_INFO, (event), LOG_FIELDS(__VA_ARGS__))
#define log_warn(event, ...) log_emit(LOG_WARN, (event), LOG_FIELDS(__VA_ARGS__))
#define log_error(event, ...) log_emit(LOG_ERROR, (event), LOG_FIELDS(__VA_ARGS__))
#define log_debug(event, ...) log_emit(LOG_DEBUG, (event), LOG_FIELDS(__VA_ARGS__))

/* For tests: true if key names a secret or value looks like one. */
int log_is_secret_key(const char *key);
int log_looks_secret(const char *value);

#endif
