# Read by ctest (TEST_INCLUDE_FILES in tests/CMakeLists.txt), after the tests
# that gtest_discover_tests found: marks the tests that see or change the
# whole server RUN_SERIAL, so that ctest -j runs nothing beside them.
#  - a backup of every database meets other tests' scratch databases (created
#    and dropped meanwhile), their held locks and their killed sessions;
#  - a held MariaDB global lock stalls every other backup, and the lock
#    timeout's message names whichever statement of the server runs longest;
#  - a DDL statement waiting on a backup's metadata locks holds MariaDB's
#    backup lock, so every other backup's global lock waits behind it;
#  - PostgreSQL's regression SQL creates and drops cluster-wide regress_* roles
#    and VACUUMs shared catalogs: its lock waits behind any transaction left
#    open by another test (a backup's workers), and every new connection of
#    that test then waits behind the VACUUM (seen once: a deadlock until the
#    ctest timeout);
#  - a restore of a globals snapshot (backup --globals) loads every role of
#    the server back, also those other tests made and dropped meanwhile, and
#    a comparison with pg_dumpall --globals-only reads every role twice.
# No other test may depend on what a parallel one does.
#
# Each entry is <executable>:<test>. A name the executable (when built) does
# not have stops ctest with an error, so a rename cannot drop it silently.
set(dbsnap_serial_tests
  tools_cli_test:CliCompletedBackup.BackupWithoutDatabaseBacksUpEveryDatabase
  tools_cli_test:CliCompletedBackup.BackupExcludeDatabaseSkipsMatchingDatabases
  protocols_mysql_dump_test:MyDump.LockWaitTimeoutNamesTheBlockingStatement
  protocols_mysql_dump_test:MyDump.GlobalLockWaitIsBoundedAndCommitsResume
  protocols_mysql_dump_test:MyDump.DdlDuringTheBackupIsBlockedAndAReadBehindItFailsNamingTheTable
  protocols_mysql_dump_test:MyDump.AccountStatementsAndCommitsDuringBackupsNeverHang
  protocols_postgres_roundtrip_test:PgRegressDatabase.BackupLoadsWithPsqlWithoutAnErrorAndKeepsEveryRow
  protocols_postgres_globals_test:PgGlobals.BackupRestoresRolesAndTablespaceWithPsqlAndDbsnapRestore
  protocols_postgres_globals_test:PgGlobals.ScriptHasTheStatementsOfPgDumpallGlobalsOnly)

foreach(entry IN LISTS dbsnap_serial_tests)
  string(REPLACE ":" ";" parts "${entry}")
  list(GET parts 0 executable)
  list(GET parts 1 test)
  if(NOT DEFINED ${executable}_TESTS)
    continue()  # not built: it reports itself as ${executable}_NOT_BUILT
  endif()
  list(FIND ${executable}_TESTS "${test}" index)  # no IN_LIST: ctest runs without policies
  if(index EQUAL -1)
    message(FATAL_ERROR "tests/run_serial.cmake: ${executable} has no test ${test}")
  endif()
  set_tests_properties("${test}" PROPERTIES RUN_SERIAL TRUE)
endforeach()
