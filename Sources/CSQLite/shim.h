#ifndef SCRM_CSQLITE_SHIM_H
#define SCRM_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro that Swift does not import.
static inline sqlite3_destructor_type scrm_sqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_config is variadic, which Swift cannot call. Turning the memory statistics off spares every allocation
// SQLite makes a lock around them; it must happen before the first connection opens.
static inline int scrm_sqlite_disable_memory_statistics(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
