# keyhold - see README.md. `make` builds, `make run` serves, `make check` tests.
CC      ?= cc
PYTHON  ?= /usr/bin/python3
WARN    := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla -Wstrict-prototypes -Wno-missing-field-initializers
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -Isrc -Iinclude -Ibuild/gen -I/usr/include/postgresql -pthread -MMD -MP $(WARN)
CFLAGS_RELEASE := -O2 -g
CFLAGS_ASAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LIBS    := -lmicrohttpd -lgnutls -lssl -lcrypto -ljansson -lsodium -lsqlite3 -lpq -lcsv -lcrypt -pthread

LIB_SRCS := $(filter-out src/main.c src/cli/%,$(shell find src -name '*.c' | sort))
CLI_SRCS := src/main.c $(sort $(wildcard src/cli/*.c))
MIGRATIONS := $(sort $(wildcard src/store/sqlite/migrations/*.sql))
PG_MIGRATIONS := $(sort $(wildcard src/store/postgres/migrations/*.sql))
GEN_SRCS := build/gen/sqlite_migrations.c build/gen/postgres_migrations.c
UNIT_SRCS := $(sort $(wildcard tests/unit/*/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# `make V=1` shows the whole commands.
Q := $(if $(V),,@)
obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

REL_LIB_OBJS := $(call obj,build,$(LIB_SRCS) $(GEN_SRCS))
ASAN_LIB_OBJS := $(call obj,build/asan,$(LIB_SRCS) $(GEN_SRCS))
UNIT_BINS := $(patsubst %.c,build/asan/%,$(UNIT_SRCS))
FUZZ_REPLAY_BINS := $(patsubst tests/fuzz/%.c,build/asan/fuzz/%,$(FUZZ_SRCS))

.PHONY: all run check unit fuzz-replay integration lint deps deps-test bench fuzz clean
all: build/keyhold build/libkeyhold.a

build/gen/sqlite_migrations.c: tools/embed_sql.sh $(MIGRATIONS)
	@mkdir -p $(@D)
	sh tools/embed_sql.sh sqlite $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

build/gen/postgres_migrations.c: tools/embed_sql.sh $(PG_MIGRATIONS)
	@mkdir -p $(@D)
	sh tools/embed_sql.sh postgres $(PG_MIGRATIONS) > $@.tmp && mv $@.tmp $@

build/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_COMMON) $(CFLAGS_RELEASE) $(CFLAGS) -c $< -o $@
build/asan/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC asan $<")
	$(Q)$(CC) $(CFLAGS_COMMON) $(CFLAGS_ASAN) $(CFLAGS) -c $< -o $@

build/libkeyhold.a: $(REL_LIB_OBJS)
	@rm -f $@; ar rcs $@ $^
build/asan/libkeyhold.a: $(ASAN_LIB_OBJS)
	@rm -f $@; ar rcs $@ $^

build/keyhold: $(call obj,build,$(CLI_SRCS)) build/libkeyhold.a
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(LIBS)
build/asan/keyhold: $(call obj,build/asan,$(CLI_SRCS)) build/asan/libkeyhold.a
	$(CC) $(CFLAGS_ASAN) -o $@ $^ $(LIBS)

build/asan/tests/unit/%: tests/unit/%.c build/asan/libkeyhold.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_COMMON) $(CFLAGS_ASAN) -Itests/unit -o $@ $< build/asan/libkeyhold.a -lcmocka $(LIBS)

build/asan/fuzz/%: tests/fuzz/%.c tests/fuzz/replay_main.c build/asan/libkeyhold.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_COMMON) $(CFLAGS_ASAN) -o $@ $< tests/fuzz/replay_main.c build/asan/libkeyhold.a $(LIBS)

# Installs what is missing (apt-get as root; otherwise names the packages).
deps:
	@sh tools/deps.sh build
deps-test:
	@sh tools/deps.sh test

run: deps build/keyhold
	KEYHOLD_DB=$${KEYHOLD_DB:-./keyhold.db} ./build/keyhold serve

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

fuzz-replay: $(FUZZ_REPLAY_BINS)
	@set -e; for f in $(FUZZ_REPLAY_BINS); do n=$$(basename $$f); n=$${n#fuzz_}; \
	  echo "== $$f over tests/fuzz/corpus/$$n"; $$f tests/fuzz/corpus/$$n; done

integration: build/asan/keyhold
	cd tests/interop && npm ci --no-audit --no-fund --silent
	KEYHOLD_BIN=$(CURDIR)/build/asan/keyhold $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

lint:
	@sh tools/lint.sh

# The tests run once against a throw-away PostgreSQL (tools/pg.sh run starts it in a
# temporary folder, sets KEYHOLD_TEST_PG, and stops it by its PID afterwards).
check: deps-test lint
	sh tools/pg.sh run $(MAKE) --no-print-directory unit fuzz-replay integration
	@echo "make check: all passed"

bench: build/keyhold build/grant_bench
	./build/grant_bench 2>/dev/null
	sh bench/run.sh
	sh bench/postgres.sh

fuzz:
	sh tools/fuzz.sh $(or $(FUZZ_SECONDS),60)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

build/grant_bench: bench/grant_bench.c build/libkeyhold.a
	$(CC) $(CFLAGS_COMMON) $(CFLAGS_RELEASE) -o $@ $< build/libkeyhold.a $(LIBS)
