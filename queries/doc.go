// Package queries holds auditlake's detections: SQL query packs embedded in
// the binary, the control catalogues they map to, and the runner that
// evaluates them against the database and records what it found.
//
// # Flow
//
//	packs/<pack>/pack.yaml            name, title, version, description
//	packs/<pack>/<detection_id>.sql   a `-- key: value` header (YAML), then one SELECT
//	controls/{soc2,iso27001,cis_aws_v3}.yaml
//	        │
//	        ▼  Load(extraDirs...) / Catalog.LoadDir (--packs-dir): parse and validate
//	    *Catalog ──► CheckSchema: every query prepares against an empty
//	        │        database with every source's tables and returns exactly
//	        │        the finding columns (FindingColumns)
//	        ▼
//	Evaluate(ctx, db, RunConfig): for each selected detection, skip it as
//	        │  no_data when a source table it reads has no rows in the window
//	        │  (as-of sources: none at or before its end), else run it with
//	        │  its parameters bound ($window_start, $window_end, $<param>)
//	        │  and a time limit, on one of RunConfig.Parallel connections;
//	        │  a failing detection is status error and the run goes on
//	        │  (status partial). Findings get a stable finding_id and are
//	        │  sorted, so two runs over the same data agree
//	        ▼
//	Record(ctx, db, *RunResult): detection_runs, detection_results,
//	        findings and control_catalog, written in one transaction
//
// Run is Evaluate followed by Record on one read-write database. The CLI
// instead evaluates on a read-only handle (DuckDB then refuses every write
// and every file or network access, whatever the SQL says) and records on a
// read-write one opened afterwards, so that a user's pack can never change
// the evidence.
//
// Test cases (packs/<pack>/testdata/<id>.yaml) run through CaseDB and
// RunCases: rows are loaded into an empty in-memory database built by the
// loader's own schema code (OpenScratch), the detection runs, and its
// findings are matched against the case's want list. TestCases runs them
// for every embedded pack; `auditlake packs test` for a user's packs.
//
// Detection SQL is never edited or pasted into: values reach it as bound
// parameters, and the runner only wraps it as a subquery to read its rows.
//
// The format of a pack, the finding columns and the tables a run writes are
// described in docs/DETECTIONS.md, generated from this package (see
// DetectionsMarkdown).
package queries
