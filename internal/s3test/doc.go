// Package s3test gives tests a real S3 server and a way to make it fail.
//
// Start runs one MinIO server per test binary on a loopback port (found in
// $AUDITLAKE_MINIO, $PATH, $(go env GOPATH)/bin or the repository's bin/;
// `make tools` installs it) and hands each test a fresh bucket with Bucket.
// Tests that use it are named TestIntegration...; with AUDITLAKE_SKIP_S3=1
// they skip when MinIO is missing instead of failing.
//
// FaultProxy sits between a client and the server and, on demand, answers
// with throttling errors, drops connections, cuts, truncates or corrupts
// object bodies, or stalls them: the failures the object store's retries and
// verification exist for.
package s3test
