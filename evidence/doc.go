// Package evidence assembles and verifies evidence packs.
//
// # Flow
//
//	Build(ctx, db, Config)
//	  load: read the database (read-only): the detection run for the period
//	        (detection_runs, detection_results, findings, control_catalog),
//	        coverage and failed objects (ingest_objects), CloudTrail events
//	        per day, the previous period's run for the trend, and a digest
//	        of the ingest manifest  ──► *reports.Model
//	  write into <out>/<period>_<frameworks>_<generated-at>.partial/:
//	        csv/... (reports.Model.CSVs), then report.pdf (reports/pdf, whose
//	        appendix lists the CSV hashes), then manifest.json (every file's
//	        size and SHA-256, the period, run ids, the ingest manifest
//	        digest, tool version, and a digest of itself), then manifest.sig
//	        (Ed25519 over manifest.json) when a key is given
//	  rename the folder to its final name (a pack is never seen half
//	        written), and optionally zip it
//
//	Verify(dir, pubkey): every file listed is present with its size and
//	        hash, no file is unlisted, manifest.json matches its own digest
//	        and, when signed, its signature.
//
// Determinism: the pack's content depends only on the database and the
// Config. The generation time appears in the folder name, on the report's
// cover, in the PDF's creation date and in manifest.json's generated_at;
// nothing else varies between two packs built from the same database (so
// report.pdf's hash, and therefore manifest.json's file list and digest,
// differ only because of those).
package evidence
