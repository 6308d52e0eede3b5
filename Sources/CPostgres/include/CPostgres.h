// libpq, PostgreSQL's own client library, loaded when first needed.
//
// As with libcurl (see CCurl.h): the binary does not link libpq, whose
// dependency chain (Kerberos, LDAP, GnuTLS, OpenSSL) every CLI command would
// otherwise load at start though only a PostgreSQL store uses it. `CPostgres.c`
// opens `libpq.so.5` (Debian's libpq5, which libpq-dev depends on) with dlopen
// on the first call of a `cpq_` function. The types and constants come from
// libpq's own header; call only the `cpq_` functions (the `PQ` ones are not
// linked). `cpq_X` is libpq's `PQX`, with the same arguments.
//
// Every wrapper is safe to call when libpq could not be loaded: a connection
// is NULL and its status CONNECTION_BAD, results are NULL (PGRES_FATAL_ERROR),
// counts are 0, texts say that libpq is not loaded; `cpq_load` says why.
#ifndef CPOSTGRES_H
#define CPOSTGRES_H

#include <postgresql/libpq-fe.h>
#include <stddef.h>

/// Loads libpq once per process (later calls return the first answer).
/// 1 when it is usable; 0 when not, with the reason in `error`, truncated
/// to `capacity`.
int cpq_load(char *error, size_t capacity);

PGconn *cpq_connectdbParams(const char *const *keywords, const char *const *values, int expand_dbname);
void cpq_finish(PGconn *conn);
ConnStatusType cpq_status(const PGconn *conn);
char *cpq_errorMessage(const PGconn *conn);
int cpq_socket(const PGconn *conn);
int cpq_consumeInput(PGconn *conn);
PGnotify *cpq_notifies(PGconn *conn);
void cpq_freemem(void *ptr);

PGresult *cpq_exec(PGconn *conn, const char *query);
PGresult *cpq_execParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                         const char *const *paramValues, const int *paramLengths,
                         const int *paramFormats, int resultFormat);
PGresult *cpq_prepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
                      const Oid *paramTypes);
PGresult *cpq_execPrepared(PGconn *conn, const char *stmtName, int nParams,
                           const char *const *paramValues, const int *paramLengths,
                           const int *paramFormats, int resultFormat);

void cpq_clear(PGresult *res);
ExecStatusType cpq_resultStatus(const PGresult *res);
char *cpq_resultErrorMessage(const PGresult *res);
char *cpq_resultErrorField(const PGresult *res, int fieldcode);
int cpq_ntuples(const PGresult *res);
int cpq_nfields(const PGresult *res);
Oid cpq_ftype(const PGresult *res, int field_num);
int cpq_getisnull(const PGresult *res, int tup_num, int field_num);
char *cpq_getvalue(const PGresult *res, int tup_num, int field_num);

#endif
