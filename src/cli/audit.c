/* audit.c - keyhold audit verify|list: a realm's stored audit log. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "audit/format.h"
#include "audit/verify.h"
#include "cli/cli.h"
#include "core/hash.h"
#include "core/jsonw.h"

static const char USAGE[] =
    "usage: keyhold audit verify REALM [--db FILE] [--json]\n"
    "       keyhold audit list REALM [--type T] [--since S] [--limit N] [--db FILE] [--json]\n"
    "\n"
    "verify walks the realm's hash chain from its checkpoint (left by the last retention\n"
    "purge; its signature is checked with the master key) or its first event, recomputes\n"
    "every event's SHA-256 and link, and checks the chain's head. It prints OK and the\n"
    "number of events checked (exit 0), or the first broken link (exit 1):\n"
    "  hash mismatch       the event was edited\n"
    "  prev_hash mismatch  an event before it was deleted or inserted\n"
    "  head mismatch       the newest events were deleted\n"
    "  bad checkpoint      the checkpoint was forged or edited\n"
    "list prints the realm's events, oldest first.\n"
    "\n"
    "  --type T     only events of type T; T ending in '.' (\"token.\") matches a prefix\n"
    "  --since S    only events at or after S: Unix seconds or RFC 3339\n"
    "  --limit N    at most N events (default 100)\n"
    "  --db DB      a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json       one JSON object (verify) or one per event (list)\n";

#define LIST_LIMIT_DEFAULT 100

struct audit_opts {
    const char *db;
    const char *realm;
    const char *type;
    int64_t since;
    int64_t limit;
    bool json;
    struct audit_verdict verdict;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct audit_opts *o = ctx;
    switch (c) {
    case 't': o->type = arg; return 0;
    case 's': return audit_since_parse(arg, &o->since);
    case 'l': return cli_int(arg, &o->limit) || o->limit < 1 ? -1 : 0;
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    }
    return -1;
}

static const char *break_code(enum audit_break b)
{
    switch (b) {
    case AUDIT_INTACT: return NULL;
    case AUDIT_EDITED: return "hash_mismatch";
    case AUDIT_UNLINKED: return "prev_hash_mismatch";
    case AUDIT_HEAD: return "head_mismatch";
    case AUDIT_CHECKPOINT: return "bad_checkpoint";
    }
    return "unknown";
}

static void verdict_json(struct jsonw *w, const void *ctx)
{
    const struct audit_opts *o = ctx;
    const struct audit_verdict *v = &o->verdict;
    char hex[2 * SHA256_LEN + 1];
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "realm", o->realm);
    jsonw_kv_bool(w, "ok", v->broken == AUDIT_INTACT);
    jsonw_kv_int(w, "checked", (int64_t)v->checked);
    if (v->broken) {
        jsonw_kv_str(w, "error", break_code(v->broken));
        jsonw_kv_str(w, "error_description", audit_break_str(v->broken));
        if (v->event_id) {
            jsonw_kv_int(w, "event_id", v->event_id);
            jsonw_kv_int(w, "seq", v->seq);
        }
    }
    jsonw_key(w, "checkpoint");
    if (v->has_checkpoint) {
        hex_encode(v->checkpoint.hash, SHA256_LEN, hex);
        jsonw_obj_begin(w);
        jsonw_kv_int(w, "seq", v->checkpoint.seq);
        jsonw_kv_int(w, "event_id", v->checkpoint.event_id);
        jsonw_kv_int(w, "event_at", v->checkpoint.event_at);
        jsonw_kv_str(w, "hash", hex);
        jsonw_kv_int(w, "created_at", v->checkpoint.created_at);
        jsonw_obj_end(w);
    } else {
        jsonw_null(w);
    }
    jsonw_key(w, "head");
    if (v->head.found) {
        hex_encode(v->head.hash, SHA256_LEN, hex);
        jsonw_obj_begin(w);
        jsonw_kv_int(w, "seq", v->head.seq);
        jsonw_kv_int(w, "event_id", v->head.last_id);
        jsonw_kv_str(w, "hash", hex);
        jsonw_obj_end(w);
    } else {
        jsonw_null(w);
    }
    jsonw_obj_end(w);
}

static void verdict_text(const struct audit_opts *o)
{
    const struct audit_verdict *v = &o->verdict;
    if (!v->broken) {
        if (v->has_checkpoint)
            printf("OK: the audit chain of realm \"%s\" is intact: %zu events checked from the "
                   "checkpoint after event %lld (seq %lld)\n",
                   o->realm, v->checked, (long long)v->checkpoint.event_id,
                   (long long)v->checkpoint.seq);
        else
            printf("OK: the audit chain of realm \"%s\" is intact: %zu events checked\n", o->realm,
                   v->checked);
        return;
    }
    if (v->event_id)
        printf("BROKEN: the audit chain of realm \"%s\" breaks at event %lld (seq %lld): %s "
               "(%zu events before it checked)\n",
               o->realm, (long long)v->event_id, (long long)v->seq, audit_break_str(v->broken),
               v->checked);
    else
        printf("BROKEN: the audit chain of realm \"%s\": %s (%zu events checked)\n", o->realm,
               audit_break_str(v->broken), v->checked);
}

static int do_verify(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    struct audit_opts *o = ctx;
    struct realm r;
    enum kh_status rc = store_realm_find(s, a, o->realm, &r);
    if (rc == KH_ERR_NOTFOUND)
        return cli_fail("no realm \"%s\"", o->realm);
    if (!rc)
        rc = audit_verify(s, master, r.id, &o->verdict);
    if (rc)
        return cli_fail("cannot verify the audit log of realm \"%s\": %s", o->realm,
                        kh_status_str(rc));
    if (o->json)
        cli_print_json(verdict_json, o);
    else
        verdict_text(o);
    return o->verdict.broken ? CLI_FAIL : CLI_OK;
}

static void entry_json(struct jsonw *w, const void *ctx)
{
    audit_entry_json(w, ctx);
}

static void entry_text(const struct audit_entry *e)
{
    char when[32];
    printf("%lld\t%s\t%s\t%s\tactor=%s\ttarget=%s\tclient_id=%s\tip=%s\t%s\n", (long long)e->id,
           cli_time(e->at, when), e->type, e->outcome, e->actor ? e->actor : "-",
           e->target ? e->target : "-", e->client_id ? e->client_id : "-", e->ip ? e->ip : "-",
           e->detail ? e->detail : "");
}

static int do_list(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    const struct audit_opts *o = ctx;
    struct realm r;
    enum kh_status rc = store_realm_find(s, a, o->realm, &r);
    if (rc == KH_ERR_NOTFOUND)
        return cli_fail("no realm \"%s\"", o->realm);
    struct audit_query q = {.realm_id = r.id, .since = o->since, .limit = (size_t)o->limit};
    audit_type_filter(o->type, &q);
    struct audit_entry *ev;
    size_t n = 0;
    if (!rc)
        rc = store_audit_list(s, a, &q, &ev, &n);
    if (rc)
        return cli_fail("cannot list the audit log of realm \"%s\": %s", o->realm,
                        kh_status_str(rc));
    for (size_t i = 0; i < n; i++) {
        if (o->json)
            cli_print_json(entry_json, &ev[i]);
        else
            entry_text(&ev[i]);
    }
    return CLI_OK;
}

static int run(int argc, char **argv, cli_store_fn fn, bool filters)
{
    static const struct option all[] = {
        {"type", required_argument, NULL, 't'}, {"since", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'}, {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct option *longs = filters ? all : all + 3; /* verify takes no filters */
    struct audit_opts o = {.limit = LIST_LIMIT_DEFAULT};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, &o.realm, 1);
    if (rc)
        return cli_parsed(rc);
    return cli_with_store(o.db, fn, &o);
}

static int verify(int argc, char **argv)
{
    return run(argc, argv, do_verify, false);
}

static int list(int argc, char **argv)
{
    return run(argc, argv, do_list, true);
}

int cli_audit(int argc, char **argv)
{
    static const struct cli_sub subs[] = {{"verify", verify}, {"list", list}};
    return cli_dispatch(subs, 2, USAGE, argc, argv);
}
