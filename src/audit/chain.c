/* chain.c - event hashes and checkpoint signatures (see chain.h for the bytes). */
#include "audit/chain.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/hmac.h>
#include <string.h>
#include "core/hash.h"

static const char EVENT_MAGIC[] = "keyhold.audit.v1";
static const char CHECKPOINT_MAGIC[] = "keyhold.audit.checkpoint.v1";
static const char KEY_INFO[] = "keyhold audit checkpoint v1";

static void be64(int64_t v, uint8_t out[8])
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(u & 0xff);
        u >>= 8;
    }
}

static int add_int(EVP_MD_CTX *md, int64_t v)
{
    uint8_t b[8];
    be64(v, b);
    return EVP_DigestUpdate(md, b, sizeof b);
}

static int add_str(EVP_MD_CTX *md, const char *s)
{
    uint8_t tag = s ? 1 : 0;
    if (!EVP_DigestUpdate(md, &tag, 1))
        return 0;
    if (!s)
        return 1;
    size_t n = strlen(s);
    if (n > UINT32_MAX)
        return 0;
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    return EVP_DigestUpdate(md, len, sizeof len) && EVP_DigestUpdate(md, s, n);
}

enum kh_status audit_chain_hash(const struct audit_entry *e, uint8_t out[SHA256_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(md, EVENT_MAGIC, sizeof EVENT_MAGIC - 1) &&
             EVP_DigestUpdate(md, e->prev_hash, SHA256_LEN) && add_int(md, e->realm_id) &&
             add_int(md, e->seq) && add_int(md, e->at) && add_str(md, e->type) &&
             add_str(md, e->actor) && add_str(md, e->target) && add_str(md, e->client_id) &&
             add_str(md, e->ip) && add_str(md, e->outcome) && add_str(md, e->detail) &&
             EVP_DigestFinal_ex(md, out, &len) && len == SHA256_LEN;
    EVP_MD_CTX_free(md);
    return ok ? KH_OK : KH_ERR_CRYPTO;
}

enum kh_status audit_checkpoint_key(const uint8_t master[AEAD_KEY_LEN], uint8_t key[AUDIT_KEY_LEN])
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, AEAD_KEY_LEN),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)KEY_INFO,
                                          sizeof KEY_INFO - 1),
        OSSL_PARAM_construct_end(),
    };
    int ok = ctx && EVP_KDF_derive(ctx, key, AUDIT_KEY_LEN, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? KH_OK : KH_ERR_CRYPTO;
}

/* The MAC of the checkpoint's fields (everything but sig). */
static enum kh_status checkpoint_mac(const uint8_t key[AUDIT_KEY_LEN],
                                     const struct audit_checkpoint *cp, uint8_t out[SHA256_LEN])
{
    uint8_t msg[sizeof CHECKPOINT_MAGIC - 1 + 4 * 8 + SHA256_LEN + 8];
    uint8_t *p = msg;
    memcpy(p, CHECKPOINT_MAGIC, sizeof CHECKPOINT_MAGIC - 1);
    p += sizeof CHECKPOINT_MAGIC - 1;
    be64(cp->realm_id, p);
    be64(cp->seq, p + 8);
    be64(cp->event_id, p + 16);
    be64(cp->event_at, p + 24);
    memcpy(p + 32, cp->hash, SHA256_LEN);
    be64(cp->created_at, p + 32 + SHA256_LEN);
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key, AUDIT_KEY_LEN, msg, sizeof msg, out, &len) || len != SHA256_LEN)
        return KH_ERR_CRYPTO;
    return KH_OK;
}

enum kh_status audit_checkpoint_sign(const uint8_t key[AUDIT_KEY_LEN], struct audit_checkpoint *cp)
{
    return checkpoint_mac(key, cp, cp->sig);
}

bool audit_checkpoint_valid(const uint8_t key[AUDIT_KEY_LEN], const struct audit_checkpoint *cp)
{
    uint8_t mac[SHA256_LEN];
    return checkpoint_mac(key, cp, mac) == KH_OK && secret_equal(mac, cp->sig, SHA256_LEN);
}

const char *audit_break_str(enum audit_break b)
{
    switch (b) {
    case AUDIT_INTACT: return "intact";
    case AUDIT_EDITED: return "hash mismatch: the event was edited";
    case AUDIT_UNLINKED:
        return "prev_hash mismatch: an event before it was deleted or inserted";
    case AUDIT_HEAD:
        return "head mismatch: the newest events were deleted (or events appended behind the "
               "head's back)";
    case AUDIT_CHECKPOINT: return "bad checkpoint signature: the checkpoint was forged or edited";
    }
    return "unknown";
}

void audit_walk_start(struct audit_walk *w, const struct audit_checkpoint *cp)
{
    *w = (struct audit_walk){.next_seq = cp ? cp->seq + 1 : 1};
    if (cp) {
        memcpy(w->prev, cp->hash, SHA256_LEN);
        w->last_id = cp->event_id;
        w->last_at = cp->event_at;
    }
}

enum audit_break audit_walk_step(struct audit_walk *w, const struct audit_entry *e)
{
    uint8_t h[SHA256_LEN];
    if (audit_chain_hash(e, h) || memcmp(h, e->hash, SHA256_LEN) != 0)
        return AUDIT_EDITED;
    if (e->seq != w->next_seq || memcmp(e->prev_hash, w->prev, SHA256_LEN) != 0)
        return AUDIT_UNLINKED;
    w->next_seq = e->seq + 1;
    memcpy(w->prev, e->hash, SHA256_LEN);
    w->last_id = e->id;
    w->last_at = e->at;
    return AUDIT_INTACT;
}

enum audit_break audit_walk_end(const struct audit_walk *w, const struct audit_head *h)
{
    if (!h->found) /* no head: only right for a realm that never had an event */
        return w->next_seq == 1 && h->max_seq == 0 ? AUDIT_INTACT : AUDIT_HEAD;
    if (h->seq != w->next_seq - 1 || memcmp(h->hash, w->prev, SHA256_LEN) != 0 ||
        h->last_id != w->last_id || h->max_seq > h->seq)
        return AUDIT_HEAD;
    return AUDIT_INTACT;
}
