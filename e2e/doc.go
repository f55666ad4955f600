// Package e2e holds auditlake's end-to-end tests: they build the auditlake
// binary once, run it as a user would (as a subprocess, with flags and
// environment variables) against a MinIO server on loopback and against a
// local copy of the same generated archive, and check the database it leaves
// behind row for row.
//
// They live in their own package, not in cmd/auditlake, because they test
// the binary from the outside: kill -9 needs a process to kill, the lock
// between two auditlake processes needs two processes, and what reaches
// stdout, stderr and the logs is only visible from outside. The package has
// no non-test code besides this file.
//
// What is tested and the figures measured are in docs/RELIABILITY.md. The
// tests need the minio binary (make tools); set AUDITLAKE_SKIP_S3=1 to skip
// those that need it. -short runs fewer kills.
package e2e
