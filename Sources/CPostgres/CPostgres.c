// libpq through dlopen: see CPostgres.h for why. Each pointer has the type of
// libpq's own declaration, so a prototype here cannot drift from the header.
#include "CPostgres.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/// The functions commsd calls, as X(libpq name without "PQ").
#define CPQ_FUNCTIONS(X) \
  X(connectdbParams)     \
  X(finish)              \
  X(status)              \
  X(errorMessage)        \
  X(socket)              \
  X(consumeInput)        \
  X(notifies)            \
  X(freemem)             \
  X(exec)                \
  X(execParams)          \
  X(prepare)             \
  X(execPrepared)        \
  X(clear)               \
  X(resultStatus)        \
  X(resultErrorMessage)  \
  X(resultErrorField)    \
  X(ntuples)             \
  X(nfields)             \
  X(ftype)               \
  X(getisnull)           \
  X(getvalue)

#define CPQ_FIELD(name) __typeof__(&PQ##name) name;
static struct {
  CPQ_FUNCTIONS(CPQ_FIELD)
} api;
#undef CPQ_FIELD

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded = 0;
static char reason[512];
static char not_loaded[] = "libpq is not loaded";
static char empty[] = "";

static void load(void) {
  void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    const char *text = dlerror();
    snprintf(reason, sizeof reason, "%s (Debian package libpq5)", text ? text : "libpq.so.5 not found");
    return;
  }
#define CPQ_RESOLVE(name)                                                  \
  api.name = (__typeof__(&PQ##name))dlsym(library, "PQ" #name);            \
  if (api.name == NULL) {                                                  \
    snprintf(reason, sizeof reason, "libpq.so.5 has no PQ%s", #name);      \
    return;                                                                \
  }
  CPQ_FUNCTIONS(CPQ_RESOLVE)
#undef CPQ_RESOLVE
  loaded = 1;
}

static int ready(void) {
  pthread_once(&once, load);
  return loaded;
}

int cpq_load(char *error, size_t capacity) {
  if (ready()) return 1;
  if (error != NULL && capacity > 0) snprintf(error, capacity, "%s", reason);
  return 0;
}

PGconn *cpq_connectdbParams(const char *const *keywords, const char *const *values, int expand_dbname) {
  return ready() ? api.connectdbParams(keywords, values, expand_dbname) : NULL;
}

void cpq_finish(PGconn *conn) {
  if (ready()) api.finish(conn);
}

ConnStatusType cpq_status(const PGconn *conn) { return ready() ? api.status(conn) : CONNECTION_BAD; }

char *cpq_errorMessage(const PGconn *conn) { return ready() ? api.errorMessage(conn) : not_loaded; }

int cpq_socket(const PGconn *conn) { return ready() ? api.socket(conn) : -1; }

int cpq_consumeInput(PGconn *conn) { return ready() ? api.consumeInput(conn) : 0; }

PGnotify *cpq_notifies(PGconn *conn) { return ready() ? api.notifies(conn) : NULL; }

void cpq_freemem(void *ptr) {
  if (ready()) api.freemem(ptr);
}

PGresult *cpq_exec(PGconn *conn, const char *query) { return ready() ? api.exec(conn, query) : NULL; }

PGresult *cpq_execParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                         const char *const *paramValues, const int *paramLengths,
                         const int *paramFormats, int resultFormat) {
  return ready() ? api.execParams(conn, command, nParams, paramTypes, paramValues, paramLengths,
                                  paramFormats, resultFormat)
                 : NULL;
}

PGresult *cpq_prepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
                      const Oid *paramTypes) {
  return ready() ? api.prepare(conn, stmtName, query, nParams, paramTypes) : NULL;
}

PGresult *cpq_execPrepared(PGconn *conn, const char *stmtName, int nParams,
                           const char *const *paramValues, const int *paramLengths,
                           const int *paramFormats, int resultFormat) {
  return ready() ? api.execPrepared(conn, stmtName, nParams, paramValues, paramLengths,
                                    paramFormats, resultFormat)
                 : NULL;
}

void cpq_clear(PGresult *res) {
  if (ready()) api.clear(res);
}

ExecStatusType cpq_resultStatus(const PGresult *res) {
  return ready() ? api.resultStatus(res) : PGRES_FATAL_ERROR;
}

char *cpq_resultErrorMessage(const PGresult *res) {
  return ready() ? api.resultErrorMessage(res) : not_loaded;
}

char *cpq_resultErrorField(const PGresult *res, int fieldcode) {
  return ready() ? api.resultErrorField(res, fieldcode) : NULL;
}

int cpq_ntuples(const PGresult *res) { return ready() ? api.ntuples(res) : 0; }

int cpq_nfields(const PGresult *res) { return ready() ? api.nfields(res) : 0; }

Oid cpq_ftype(const PGresult *res, int field_num) { return ready() ? api.ftype(res, field_num) : 0; }

int cpq_getisnull(const PGresult *res, int tup_num, int field_num) {
  return ready() ? api.getisnull(res, tup_num, field_num) : 1;
}

char *cpq_getvalue(const PGresult *res, int tup_num, int field_num) {
  return ready() ? api.getvalue(res, tup_num, field_num) : empty;
}
