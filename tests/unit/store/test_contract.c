/* test_contract.c - the store contract suite (store_contract.h) against every
 * backend: SQLite, and PostgreSQL when KEYHOLD_TEST_PG is set (always in
 * `make check`). Every case gets a fresh, empty database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store_contract.h"
#include "store/backend.h"

struct fixture {
    struct backend_fixture b;
    struct store *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    *state = f;
    return backend_open(&f->b, &f->s);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

#define CT_WRAP(name)                     \
    static void test_##name(void **state) \
    {                                     \
        struct fixture *f = *state;       \
        contract_##name(f->s);            \
    }
STORE_CONTRACT_TESTS(CT_WRAP)

#define CT_ENTRY(name) cmocka_unit_test_setup_teardown(test_##name, setup, teardown),

int main(void)
{
    const struct CMUnitTest tests[] = {STORE_CONTRACT_TESTS(CT_ENTRY)};
    return BACKEND_RUN("store_contract", tests);
}
