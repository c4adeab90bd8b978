/* httpc.h - a tiny blocking HTTP/1.1 client over plain sockets, for tests only.
 *
 * Reads responses with a Content-Length body (what keyhold's server sends);
 * every socket has a 10 s receive timeout so a broken server fails the test
 * instead of hanging it. Header-only: static functions, one per test program. */
#ifndef KH_TEST_HTTPC_H
#define KH_TEST_HTTPC_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HTTPC_BUF 65536

struct httpc {
    int fd;
    char in[HTTPC_BUF]; /* received, not yet consumed */
    size_t len;
};

struct httpc_resp {
    int status;
    char head[8192]; /* status line and headers, NUL-terminated */
    char body[HTTPC_BUF];
    size_t body_len;
};

static inline int httpc_connect(struct httpc *c, uint16_t port)
{
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 10};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static inline void httpc_close(struct httpc *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static inline int httpc_send(struct httpc *c, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, data, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

static inline int httpc_sends(struct httpc *c, const char *s)
{
    return httpc_send(c, s, strlen(s));
}

/* Reads more bytes into c->in; -1 on EOF, error or timeout. */
static inline int httpc_fill(struct httpc *c)
{
    if (c->len == sizeof c->in)
        return -1;
    ssize_t r = recv(c->fd, c->in + c->len, sizeof c->in - c->len, 0);
    if (r <= 0)
        return -1;
    c->len += (size_t)r;
    return 0;
}

static inline void httpc_consume(struct httpc *c, size_t n)
{
    memmove(c->in, c->in + n, c->len - n);
    c->len -= n;
}

/* Value of header `name` in r->head copied into out (size n); NULL if absent. */
static inline const char *httpc_header(const struct httpc_resp *r, const char *name, char *out,
                                       size_t n)
{
    size_t nl = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        while (*v == ' ')
            v++;
        size_t vl = strcspn(v, "\r");
        if (vl >= n)
            vl = n - 1;
        memcpy(out, v, vl);
        out[vl] = '\0';
        return out;
    }
    return NULL;
}

static inline size_t httpc_digits(const char *s, bool *ok)
{
    size_t v = 0;
    *ok = *s != '\0';
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            *ok = false;
            break;
        }
        v = v * 10 + (size_t)(*s - '0');
    }
    return v;
}

/* Reads one response; `head_only` for a HEAD request (no body follows). */
static inline int httpc_read(struct httpc *c, struct httpc_resp *r, bool head_only)
{
    char *end;
    while (!(end = memmem(c->in, c->len, "\r\n\r\n", 4)))
        if (httpc_fill(c) != 0)
            return -1;
    size_t hl = (size_t)(end - c->in) + 2;
    if (hl >= sizeof r->head || hl < 12 || memcmp(c->in, "HTTP/1.1 ", 9) != 0)
        return -1;
    memcpy(r->head, c->in, hl);
    r->head[hl] = '\0';
    r->status = (r->head[9] - '0') * 100 + (r->head[10] - '0') * 10 + (r->head[11] - '0');
    httpc_consume(c, hl + 2);
    char v[32];
    bool ok = true;
    size_t blen = 0;
    if (!head_only && httpc_header(r, "Content-Length", v, sizeof v))
        blen = httpc_digits(v, &ok);
    if (!ok || blen >= sizeof r->body)
        return -1;
    while (c->len < blen)
        if (httpc_fill(c) != 0)
            return -1;
    memcpy(r->body, c->in, blen);
    r->body[blen] = '\0';
    r->body_len = blen;
    httpc_consume(c, blen);
    return 0;
}

/* True once the server closed the connection (EOF), false on data or timeout. */
static inline bool httpc_eof(struct httpc *c)
{
    char b;
    return c->len == 0 && recv(c->fd, &b, 1, 0) == 0;
}

#endif
