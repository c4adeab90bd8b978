/* stream.c - streamed request bodies (struct http_stream): the bounded
 * hand-off from the I/O thread that reads a body to the stream thread that
 * consumes it.
 *
 * Two buffers of STREAM_BUF bytes per request: the I/O thread appends to
 * `fill`; the stream thread swaps it with its own empty `work` buffer and
 * hands that to the consumer. When `fill` is full, the I/O thread leaves the
 * rest of the piece with libmicrohttpd (*upload_size) and suspends the
 * connection; the stream thread resumes it after its next swap, and
 * libmicrohttpd offers the rest again. So at most 2 x STREAM_BUF bytes of a
 * body are in memory, and a fast client is slowed to the consumer's pace by
 * TCP itself.
 *
 * Lifetime: once started, the request state has two owners, the connection
 * (until its completion notice) and the stream thread (until finish
 * returned); the last to let go frees it. A client that goes away mid-body
 * makes the completion notice come first: the stream thread then finishes
 * with HTTP_STREAM_ABORTED and frees the state itself.
 *
 * Everything shared lives under stream.mu. MHD_suspend_connection and
 * MHD_resume_connection are called under it too, so that a resume never
 * overtakes its suspend (libmicrohttpd never calls us while holding its own
 * locks, so the order stream.mu -> libmicrohttpd cannot deadlock). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "http/server_internal.h"

enum wait_for {
    WAIT_NONE,   /* the connection is not suspended by us */
    WAIT_ROOM,   /* suspended until `fill` is taken */
    WAIT_FINISH, /* the body is in; suspended until finish returned */
};

struct stream {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* the stream thread waits here for bytes or an end */
    char *fill;              /* bytes read, not yet taken by the stream thread */
    size_t fill_len;
    char *work;              /* the stream thread's buffer */
    uint64_t total;          /* bytes of the body taken so far */
    bool ended;              /* the whole body was read */
    bool too_big;            /* the body passed req.body_max */
    bool gone;               /* the connection ended (completion notice) */
    enum wait_for waiting;
    int owners;              /* the connection and the stream thread */
};

static void stream_free(struct stream *sm)
{
    if (!sm)
        return;
    pthread_mutex_destroy(&sm->mu);
    pthread_cond_destroy(&sm->cv);
    free(sm->fill);
    free(sm->work);
    free(sm);
}

static struct stream *stream_new(void)
{
    struct stream *sm = calloc(1, sizeof *sm);
    if (!sm)
        return NULL;
    sm->fill = malloc(STREAM_BUF);
    sm->work = malloc(STREAM_BUF);
    if (!sm->fill || !sm->work || pthread_mutex_init(&sm->mu, NULL) != 0) {
        free(sm->fill);
        free(sm->work);
        free(sm);
        return NULL;
    }
    if (pthread_cond_init(&sm->cv, NULL) != 0) {
        pthread_mutex_destroy(&sm->mu);
        free(sm->fill);
        free(sm->work);
        free(sm);
        return NULL;
    }
    sm->owners = 2;
    return sm;
}

/* Under sm->mu: resumes the connection if it waits for `why`. */
static void wake(struct conn_state *st, struct stream *sm, enum wait_for why)
{
    if (sm->waiting == why && !sm->gone) {
        sm->waiting = WAIT_NONE;
        MHD_resume_connection(st->mhd);
    }
}

/* Under sm->mu, on the I/O thread. */
static void suspend(struct conn_state *st, struct stream *sm, enum wait_for why)
{
    sm->waiting = why;
    MHD_suspend_connection(st->mhd);
}

/* Waits for the next event of the body; under sm->mu. Hands what was read to
 * the consumer (without the lock) until the body ends one way or another. */
static enum http_stream_end consume_body(struct conn_state *st, struct stream *sm)
{
    const struct http_stream *ops = st->route->stream;
    bool wanted = true;
    for (;;) {
        if (sm->gone)
            return HTTP_STREAM_ABORTED;
        if (sm->too_big)
            return HTTP_STREAM_TOO_BIG;
        if (sm->fill_len) {
            char *full = sm->fill;
            size_t n = sm->fill_len;
            sm->fill = sm->work;
            sm->fill_len = 0;
            sm->work = full;
            wake(st, sm, WAIT_ROOM);
            pthread_mutex_unlock(&sm->mu);
            if (wanted)
                wanted = ops->consume(&st->req, full, n) == KH_OK;
            pthread_mutex_lock(&sm->mu);
            continue;
        }
        if (sm->ended)
            return HTTP_STREAM_COMPLETE;
        pthread_cond_wait(&sm->cv, &sm->mu);
    }
}

/* The stream thread's job: one body from start to finish. */
static void run_stream(void *arg)
{
    struct conn_state *st = arg;
    struct stream *sm = st->stream;
    struct http_server *srv = st->srv;
    pthread_mutex_lock(&sm->mu);
    enum http_stream_end end = consume_body(st, sm);
    pthread_mutex_unlock(&sm->mu);
    st->route->stream->finish(&st->req, &st->res, end);
    pthread_mutex_lock(&sm->mu);
    atomic_store(&st->job_done, true);
    wake(st, sm, WAIT_FINISH);
    bool last = --sm->owners == 0;
    pthread_mutex_unlock(&sm->mu);
    if (last) {
        st->stream = NULL;
        stream_free(sm);
        conn_free(st);
    }
    atomic_fetch_sub(&srv->deferred, 1);
}

void stream_accept(struct conn_state *st)
{
    enum http_result r = st->route->handler(&st->req, &st->res);
    if (r == HTTP_DONE) {
        st->early = true;
    } else if (r != HTTP_DEFER) {
        log_error("http_bad_handler_result", LOG_STR("pattern", st->pattern), LOG_INT("result", r));
        conn_reject(st, 500, CONN_BODY_500);
    }
}

void stream_start(struct conn_state *st)
{
    struct http_server *srv = st->srv;
    /* Counted before `stopping` is read, as for deferred steps (request.c). */
    atomic_fetch_add(&srv->deferred, 1);
    if (atomic_load(&srv->stopping)) {
        atomic_fetch_sub(&srv->deferred, 1);
        conn_reject(st, 503, CONN_BODY_503_STOP);
        return;
    }
    st->stream = stream_new();
    if (st->stream && workpool_submit(srv->stream, run_stream, st) == KH_OK)
        return;
    stream_free(st->stream);
    st->stream = NULL;
    atomic_fetch_sub(&srv->deferred, 1);
    conn_reject(st, 503, CONN_BODY_503_BUSY);
}

enum MHD_Result stream_chunk(struct conn_state *st, const char *data, size_t *upload_size)
{
    struct stream *sm = st->stream;
    size_t n = *upload_size;
    pthread_mutex_lock(&sm->mu);
    if (n > st->req.body_max - sm->total) {
        /* The stream thread rolls back; the 413 is sent once it finished and
         * the rest of the body was dropped (request.c). */
        sm->too_big = true;
        pthread_cond_signal(&sm->cv);
        pthread_mutex_unlock(&sm->mu);
        conn_reject(st, 413, CONN_BODY_413);
        *upload_size = 0;
        st->discarded += n;
        return st->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    size_t room = STREAM_BUF - sm->fill_len;
    size_t take = n < room ? n : room;
    memcpy(sm->fill + sm->fill_len, data, take);
    sm->fill_len += take;
    sm->total += take;
    if (take)
        pthread_cond_signal(&sm->cv);
    if (take < n)
        suspend(st, sm, WAIT_ROOM);
    pthread_mutex_unlock(&sm->mu);
    *upload_size = n - take;
    return MHD_YES;
}

enum MHD_Result stream_complete(struct conn_state *st)
{
    struct stream *sm = st->stream;
    pthread_mutex_lock(&sm->mu);
    sm->ended = true;
    pthread_cond_signal(&sm->cv);
    st->phase = PH_DEFERRED;
    bool done = atomic_load(&st->job_done);
    if (!done)
        suspend(st, sm, WAIT_FINISH);
    pthread_mutex_unlock(&sm->mu);
    if (!done)
        return MHD_YES; /* the access handler queues the answer after the resume */
    return st->reject_status ? conn_queue_reject(st) : conn_queue_handler_response(st);
}

bool stream_release(struct conn_state *st)
{
    struct stream *sm = st->stream;
    pthread_mutex_lock(&sm->mu);
    sm->gone = true;
    sm->waiting = WAIT_NONE;
    pthread_cond_signal(&sm->cv);
    bool last = --sm->owners == 0;
    pthread_mutex_unlock(&sm->mu);
    if (last) {
        st->stream = NULL;
        stream_free(sm);
    }
    return last;
}
