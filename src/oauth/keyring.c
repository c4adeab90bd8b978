/* keyring.c - realm signing keys: sealed in the store, cached in memory. */
#include "oauth/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/clock.h"
#include "core/hash.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/random.h"
#include "jose/jwks.h"

struct realm_keys {
    int64_t realm_id;
    int64_t checked_at;        /* monotonic seconds of the last store read */
    bool stale;                /* keyring_invalidate(): read again at the next get */
    struct jose_key **keys;
    struct signing_key *meta;  /* per key: kid, alg, active_from, retire_at (no secret) */
    size_t n;
    struct buf jwks;
    struct realm_keys *next_retired; /* in the graveyard once replaced */
};

struct keyring {
    struct store *store;
    uint8_t master[AEAD_KEY_LEN];
    pthread_rwlock_t lock;
    struct realm_keys **realms; /* current set per realm, unordered */
    size_t n_realms;
    struct realm_keys *graveyard;
};

/* 64 hex digits, optionally followed by a line end. */
static enum kh_status parse_hex_key(const char *s, size_t n, uint8_t out[AEAD_KEY_LEN])
{
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return hex_decode(s, n, out, AEAD_KEY_LEN) ? KH_OK : KH_ERR_INVALID;
}

static enum kh_status create_key_file(const char *path, uint8_t out[AEAD_KEY_LEN])
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? KH_ERR_CONFLICT : KH_ERR_IO;
    uint8_t key[AEAD_KEY_LEN];
    char hex[2 * AEAD_KEY_LEN + 2];
    random_bytes(key, sizeof key);
    hex_encode(key, sizeof key, hex);
    hex[2 * AEAD_KEY_LEN] = '\n';
    ssize_t w = write(fd, hex, 2 * AEAD_KEY_LEN + 1);
    int synced = fsync(fd);
    close(fd);
    enum kh_status rc = KH_ERR_IO;
    if (w == 2 * AEAD_KEY_LEN + 1 && synced == 0) {
        memcpy(out, key, sizeof key);
        rc = KH_OK;
    }
    secret_wipe(key, sizeof key);
    secret_wipe(hex, sizeof hex);
    return rc;
}

static enum kh_status read_key_file(const char *path, uint8_t out[AEAD_KEY_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return KH_ERR_IO;
    struct stat st;
    char hex[2 * AEAD_KEY_LEN + 4];
    enum kh_status rc = KH_ERR_IO;
    if (fstat(fd, &st) != 0)
        goto out;
    if (st.st_mode & 077) {
        log_error("master_key_unsafe", LOG_STR("file", path),
                  LOG_STR("message", "the master key file is readable by others; chmod 600 it"));
        rc = KH_ERR_DENIED;
        goto out;
    }
    ssize_t n = read(fd, hex, sizeof hex);
    rc = n > 0 ? parse_hex_key(hex, (size_t)n, out) : KH_ERR_INVALID;
out:
    close(fd);
    secret_wipe(hex, sizeof hex);
    return rc;
}

enum kh_status keyring_master_load(const char *db_path, uint8_t out[AEAD_KEY_LEN])
{
    const char *env = getenv("KEYHOLD_MASTER_KEY");
    if (env && *env) {
        enum kh_status rc = parse_hex_key(env, strlen(env), out);
        if (rc)
            log_error("master_key_invalid",
                      LOG_STR("message", "KEYHOLD_MASTER_KEY must be 64 hex digits (32 bytes)"));
        return rc;
    }
    char path[4096];
    const char *file = getenv("KEYHOLD_MASTER_KEY_FILE");
    if (file && *file) {
        if ((size_t)snprintf(path, sizeof path, "%s", file) >= sizeof path)
            return KH_ERR_TOOBIG;
    } else if (store_url_is_postgres(db_path)) {
        /* Every instance on one database must hold the same key, and a URL
         * names no folder to keep it next to. */
        log_error("master_key_missing",
                  LOG_STR("message", "with PostgreSQL, give every instance the same master key: "
                                     "KEYHOLD_MASTER_KEY (64 hex digits) or "
                                     "KEYHOLD_MASTER_KEY_FILE (a file created 0600 if missing)"));
        return KH_ERR_INVALID;
    } else if ((size_t)snprintf(path, sizeof path, "%s.key", db_path) >= sizeof path) {
        return KH_ERR_TOOBIG;
    }
    enum kh_status rc = read_key_file(path, out);
    if (rc == KH_ERR_IO && errno == ENOENT) {
        rc = create_key_file(path, out);
        if (rc == KH_ERR_CONFLICT) /* another process created it first */
            rc = read_key_file(path, out);
    }
    if (rc && rc != KH_ERR_DENIED)
        log_error("master_key_unreadable", LOG_STR("file", path),
                  LOG_STR("message", "cannot read or create the master key file"));
    return rc;
}

enum kh_status keyring_new(struct store *s, const uint8_t master[AEAD_KEY_LEN], struct keyring **out)
{
    struct keyring *kr = calloc(1, sizeof *kr);
    if (!kr)
        return KH_ERR_NOMEM;
    kr->store = s;
    memcpy(kr->master, master, AEAD_KEY_LEN);
    pthread_rwlock_init(&kr->lock, NULL);
    *out = kr;
    return KH_OK;
}

static void realm_keys_free(struct realm_keys *rk)
{
    for (size_t i = 0; i < rk->n; i++)
        jose_key_free(rk->keys[i]);
    free(rk->keys);
    free(rk->meta);
    buf_free(&rk->jwks);
    free(rk);
}

void keyring_free(struct keyring *kr)
{
    if (!kr)
        return;
    for (size_t i = 0; i < kr->n_realms; i++)
        realm_keys_free(kr->realms[i]);
    free(kr->realms);
    while (kr->graveyard) {
        struct realm_keys *next = kr->graveyard->next_retired;
        realm_keys_free(kr->graveyard);
        kr->graveyard = next;
    }
    pthread_rwlock_destroy(&kr->lock);
    secret_wipe(kr->master, sizeof kr->master);
    free(kr);
}

static enum kh_status open_key(const struct keyring *kr, const struct signing_key *sk,
                               struct jose_key **out)
{
    enum jose_alg alg;
    if (jose_alg_parse(sk->alg, &alg))
        return KH_ERR_INVALID;
    uint8_t *der = NULL;
    size_t der_len = 0;
    enum kh_status rc = aead_open(kr->master, sk->kid, strlen(sk->kid), sk->private_enc,
                                  sk->private_enc_len, &der, &der_len);
    if (rc) {
        log_error("signing_key_unreadable", LOG_STR("kid", sk->kid),
                  LOG_STR("message", "the key does not decrypt with this master key"));
        return rc;
    }
    rc = jose_key_from_pkcs8(alg, der, der_len, out);
    secret_wipe(der, der_len);
    free(der);
    return rc;
}

static enum kh_status build_jwks(struct realm_keys *rk)
{
    buf_init(&rk->jwks, 1 << 20);
    struct jsonw w;
    jsonw_init(&w, &rk->jwks);
    jwks_write((const struct jose_key *const *)rk->keys, rk->n, &w);
    return jsonw_finish(&w);
}

/* Reads the realm's keys from the store into a new set. */
static enum kh_status load_realm(struct keyring *kr, const struct realm *realm, struct realm_keys **out)
{
    struct arena a;
    arena_init(&a);
    struct signing_key *sks = NULL;
    size_t n = 0;
    enum kh_status rc = store_key_list(kr->store, &a, realm->id, &sks, &n);
    if (rc)
        goto out;
    struct realm_keys *rk = calloc(1, sizeof *rk);
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    struct jose_key **keys = calloc(n ? n : 1, sizeof *keys);
    struct signing_key *meta = calloc(n ? n : 1, sizeof *meta);
    if (!rk || !keys || !meta) {
        free(rk);
        free(keys);
        free(meta);
        rc = KH_ERR_NOMEM;
        goto out;
    }
    rk->keys = keys;
    rk->meta = meta;
    rk->realm_id = realm->id;
    for (size_t i = 0; i < n; i++) {
        struct jose_key *k;
        if (open_key(kr, &sks[i], &k) != KH_OK)
            continue; /* logged; the other keys still serve */
        /* Strings that live as long as the key, not as long as the arena. */
        rk->meta[rk->n] = (struct signing_key){
            .kid = jose_key_kid(k),
            .realm_id = realm->id,
            .alg = jose_alg_name(jose_key_alg(k)),
            .created_at = sks[i].created_at,
            .active_from = sks[i].active_from,
            .retire_at = sks[i].retire_at,
        };
        rk->keys[rk->n++] = k;
    }
    rc = build_jwks(rk);
    if (rc) {
        realm_keys_free(rk);
        goto out;
    }
    *out = rk;
out:
    arena_free(&a);
    return rc;
}

static struct realm_keys **find_slot(struct keyring *kr, int64_t realm_id)
{
    for (size_t i = 0; i < kr->n_realms; i++)
        if (kr->realms[i]->realm_id == realm_id)
            return &kr->realms[i];
    return NULL;
}

long keyring_signer_index(const struct signing_key *keys, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        const struct signing_key *k = &keys[i];
        if (k->active_from <= now && (k->retire_at == 0 || k->retire_at > now))
            return (long)i;
    }
    return -1;
}

/* The signer is chosen here, not at load: a key published ahead of its
 * active_from must start signing when that time comes, re-read or not. */
static enum kh_status fill(const struct realm_keys *rk, const struct realm *realm, struct keyset *out)
{
    (void)realm;
    long i = keyring_signer_index(rk->meta, rk->n, clock_now());
    out->keys = (const struct jose_key *const *)rk->keys;
    out->n = rk->n;
    out->signer = i >= 0 ? rk->keys[i] : NULL;
    out->jwks = rk->jwks.data;
    out->jwks_len = rk->jwks.len;
    return out->signer ? KH_OK : KH_ERR_NOTFOUND;
}

static bool is_fresh(const struct realm_keys *rk, int64_t mono)
{
    return !rk->stale && mono - rk->checked_at < KEYRING_REFRESH_SECONDS;
}

/* Under the write lock: load the realm again and install the new set. */
static enum kh_status reload(struct keyring *kr, const struct realm *realm, int64_t mono)
{
    struct realm_keys **slot = find_slot(kr, realm->id);
    if (slot && is_fresh(*slot, mono))
        return KH_OK; /* another thread just did it */
    struct realm_keys *fresh;
    enum kh_status rc = load_realm(kr, realm, &fresh);
    if (rc)
        return rc;
    fresh->checked_at = mono;
    if (slot) {
        (*slot)->next_retired = kr->graveyard;
        kr->graveyard = *slot;
        *slot = fresh;
        return KH_OK;
    }
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    struct realm_keys **grown = realloc(kr->realms, (kr->n_realms + 1) * sizeof *grown);
    if (!grown) {
        realm_keys_free(fresh);
        return KH_ERR_NOMEM;
    }
    kr->realms = grown;
    kr->realms[kr->n_realms++] = fresh;
    return KH_OK;
}

enum kh_status keyring_get(struct keyring *kr, const struct realm *realm, struct keyset *out)
{
    int64_t mono = clock_mono_us() / 1000000;
    enum kh_status rc;
    pthread_rwlock_rdlock(&kr->lock);
    struct realm_keys **slot = find_slot(kr, realm->id);
    if (slot && is_fresh(*slot, mono)) {
        rc = fill(*slot, realm, out);
        pthread_rwlock_unlock(&kr->lock);
        return rc;
    }
    pthread_rwlock_unlock(&kr->lock);

    pthread_rwlock_wrlock(&kr->lock);
    rc = reload(kr, realm, mono);
    if (!rc)
        rc = fill(*find_slot(kr, realm->id), realm, out);
    pthread_rwlock_unlock(&kr->lock);
    return rc;
}

void keyring_invalidate(struct keyring *kr, int64_t realm_id)
{
    pthread_rwlock_wrlock(&kr->lock);
    struct realm_keys **slot = find_slot(kr, realm_id);
    if (slot)
        (*slot)->stale = true;
    pthread_rwlock_unlock(&kr->lock);
}

enum kh_status keyring_create_key(struct store *s, const uint8_t master[AEAD_KEY_LEN], int64_t realm_id,
                                  enum jose_alg alg, int64_t active_from, char *kid_out)
{
    struct jose_key *key = NULL;
    uint8_t *der = NULL, *sealed = NULL;
    size_t der_len = 0, sealed_len = 0;
    enum kh_status rc = jose_key_generate(alg, &key);
    if (rc)
        return rc;
    rc = jose_key_to_pkcs8(key, &der, &der_len);
    if (rc)
        goto out;
    const char *kid = jose_key_kid(key);
    rc = aead_seal(master, kid, strlen(kid), der, der_len, &sealed, &sealed_len);
    if (rc)
        goto out;
    struct signing_key sk = {
        .kid = kid,
        .realm_id = realm_id,
        .alg = jose_alg_name(alg),
        .private_enc = sealed,
        .private_enc_len = sealed_len,
        .created_at = clock_now(),
        .active_from = active_from,
    };
    rc = store_key_insert(s, &sk);
    if (!rc && kid_out)
        snprintf(kid_out, 64, "%s", kid);
out:
    if (der) {
        secret_wipe(der, der_len);
        free(der);
    }
    free(sealed);
    jose_key_free(key);
    return rc;
}
