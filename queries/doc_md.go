package queries

import (
	"fmt"
	"sort"
	"strings"
)

// DetectionsMarkdown renders docs/DETECTIONS.md: the pack format for users
// writing their own packs, then every detection of the catalog with its
// parameters, controls, why and remediation.
func DetectionsMarkdown(c *Catalog) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Detections\n\n")
	w("Generated from the query packs in `queries/packs/` and the control catalogues in `queries/controls/` by `go test -tags duckdb_arrow ./queries -run TestDetectionsDoc -update`; do not edit by hand.\n\n")
	w("`auditlake detect` runs these detections over a window of time; `auditlake packs` lists them, `auditlake controls --framework soc2|iso27001|cis` shows which controls they cover, and `auditlake packs test` runs their test cases. Titles and summaries of controls are auditlake's own wording.\n\n")

	w("| pack | version | detections | what it covers |\n|---|---|---|---|\n")
	for _, p := range c.Packs {
		w("| [`%s`](#pack-%s) | %s | %d | %s |\n", p.Name, p.Name, p.Version, len(p.Detections), p.Title)
	}
	w("\n")

	writePackFormat(&b)

	for _, p := range c.Packs {
		w("## Pack %s\n\n", p.Name)
		w("**%s** (version %s)\n\n%s\n\n", p.Title, p.Version, strings.TrimSpace(p.Description))
		w("| detection | severity | sources | SOC 2 | ISO 27001 | CIS AWS v3 |\n|---|---|---|---|---|---|\n")
		for _, d := range p.Detections {
			w("| [`%s`](#%s) | %s | %s | %s | %s | %s |\n", d.ID, d.ID, d.Severity, strings.Join(d.Sources, ", "),
				strings.Join(d.Controls.SOC2, ", "), strings.Join(d.Controls.ISO27001, ", "), strings.Join(d.Controls.CISAWSv3, ", "))
		}
		w("\n")
		for _, d := range p.Detections {
			w("### %s\n\n", d.ID)
			w("**%s** · severity **%s** · reads %s\n\n", d.Title, d.Severity, "`"+strings.Join(d.Sources, "`, `")+"`")
			if d.Description != "" {
				w("%s\n\n", d.Description)
			}
			if len(d.Params) > 0 {
				w("| parameter | default | meaning |\n|---|---|---|\n")
				for _, prm := range d.Params {
					w("| `%s` | `%v` | %s |\n", prm.Name, prm.Default, prm.Description)
				}
				w("\n")
			}
			w("Controls:\n\n")
			for _, fw := range Frameworks {
				for _, id := range d.Controls.Get(fw) {
					ctl, _ := c.Control(fw, id)
					w("- %s %s: %s\n", frameworkName[fw], id, ctl.Title)
				}
			}
			w("\n")
			if d.Why != "" {
				w("**Why it matters.** %s\n\n", d.Why)
			}
			if d.Remediation != "" {
				w("**Remediation.** %s\n\n", d.Remediation)
			}
		}
	}

	w("## Control catalogues\n\n")
	for _, fw := range Frameworks {
		covered := map[string][]string{}
		for _, d := range c.Detections {
			for _, id := range d.Controls.Get(fw) {
				covered[id] = append(covered[id], d.ID)
			}
		}
		w("### %s\n\n| control | title | responsibility | detections |\n|---|---|---|---|\n", frameworkName[fw])
		for _, ctl := range c.Controls[fw] {
			dets := covered[ctl.ID]
			sort.Strings(dets)
			cell := "—"
			if len(dets) > 0 {
				cell = "`" + strings.Join(dets, "`, `") + "`"
			}
			w("| %s | %s | %s | %s |\n", ctl.ID, ctl.Title, ctl.Responsibility, cell)
		}
		w("\n")
	}
	return b.String()
}

var frameworkName = map[string]string{"soc2": "SOC 2", "iso27001": "ISO 27001:2022", "cis_aws_v3": "CIS AWS v3.0"}

func writePackFormat(b *strings.Builder) {
	var cols []string
	for _, c := range FindingColumns {
		cols = append(cols, fmt.Sprintf("| `%s` | %s | %s |", c.Name, c.Type, c.Doc))
	}
	fmt.Fprintf(b, `## Writing a pack

A pack is a directory; load your own with `+"`--packs-dir DIR`"+` (DIR holds pack.yaml, or
directories that do) on `+"`detect`, `packs`, `controls` and `report`"+`.

`+"```"+`
my-packs/
  acme/
    pack.yaml                       name, title, version (semver), description
    acme_break_glass_used.sql       one detection: a YAML header, then one SELECT
    testdata/acme_break_glass_used.yaml   its test cases
`+"```"+`

A detection file starts with consecutive lines beginning `+"`-- `"+` that hold YAML:

`+"```sql"+`
%s`+"```"+`

Loading checks every header key, that id, title, severity, sources and controls are present, that
the id is the file name and unique across packs, that every control id exists in the catalogues
below and every source is known, and that the query uses exactly the declared parameters (plus
`+"`$window_start`"+` and `+"`$window_end`"+`); errors name the file and line.

- **Parameters** reach the query as bound DuckDB parameters, never pasted into the text:
  `+"`$window_start`, `$window_end`"+` (TIMESTAMPTZ, the window [start, end)) and `+"`$<name>`"+` for each
  declared parameter, typed like its default. Override with `+"`--param ID.NAME=VALUE`"+` (one
  detection) or `+"`--param NAME=VALUE`"+` (every selected detection declaring it).
- **Window.** Event detections read rows inside the window; "as of" detections (credential
  report, configuration state) evaluate the state at `+"`$window_end`"+`. A detection whose source
  table has no rows for the window (for credential_report and config_items: none at or before
  its end) is reported as `+"`no_data`"+` rather than run.
- **Read-only.** Detections run on a read-only handle with DuckDB's file and network access
  disabled and locked: a query can read the tables, nothing else.
- **Note on JSON operators.** In DuckDB `+"`->>`"+` binds more loosely than `+"`=`"+`, `+"`IS`"+` and `+"`LIKE`"+`:
  write `+"`(request_parameters->>'$.userName') = 'x'`"+` with the parentheses.

Every query returns exactly these columns, in this order:

| column | type | meaning |
|---|---|---|
%s

Test cases (`+"`testdata/<id>.yaml`"+`) load rows into an empty database and compare the findings;
each detection needs at least one case with findings and one without:

`+"```yaml"+`
cases:
  - name: console login with MFA is not a finding
    window: ["2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"]   # optional; default October 2026
    params: {min_failures: 3}                                  # optional overrides
    rows:
      cloudtrail:                                              # table -> rows; missing columns are NULL
        - {event_time: "2026-10-03T10:00:00Z", event_id: e1, event_name: ConsoleLogin, principal: alice,
           additional_event_data: {MFAUsed: "Yes"}}             # JSON columns take YAML maps and lists
    want: []
  - name: ...
    want:
      - {principal: alice, count: 2, event_ids: [e1, e2], details: {source_ips: [192.0.2.1]}}
`+"```"+`

Each `+"`want`"+` item matches one finding on the fields it gives (lists of ids compare as sets;
`+"`details`"+` matches as a subset: objects key by key, lists element by element); the number of
findings must equal the number of items.

## What a run records

`+"`auditlake detect`"+` (and `+"`auditlake report`"+`) write one run in one transaction:
`+"`detection_runs`"+` (window, version, packs, effective parameters, status ok or partial),
`+"`detection_results`"+` (per detection: status pass, fail, no_data or error, finding count, the
controls, why and remediation, the exact SQL that ran and its SHA-256, duration),
`+"`findings`"+` and `+"`control_catalog`"+` (replaced on every run). A finding's `+"`finding_id`"+` is the
SHA-256 (hex) of its detection id, account, region, principal and resource, each followed by a
newline (NULL as empty): the same finding has the same id in every run. Findings are ordered by
severity, detection, account, principal, resource and first_seen.

`, ExampleDetection, strings.Join(cols, "\n"))
}

// ExampleDetection is the detection docs/DETECTIONS.md shows to pack
// authors (a test checks that it loads and prepares).
const ExampleDetection = `-- id: acme_break_glass_used           # must equal the file name
-- title: Break-glass role used
-- description: Someone assumed the break-glass role.
-- severity: high                      # critical, high, medium, low or info
-- sources: [cloudtrail]               # cloudtrail, config_items, credential_report, vpc_flow
-- params:
--   role_name: {default: "BreakGlass", description: "name of the break-glass role"}
-- controls: {soc2: [CC6.1], iso27001: [A.8.2], cis_aws_v3: []}
-- why: Why an auditor cares.
-- remediation: What to do about a finding.
SELECT recipient_account_id AS account_id, aws_region AS region, principal,
  request_parameters->>'$.roleArn' AS resource,
  min(event_time) AS first_seen, max(event_time) AS last_seen, count(*) AS count,
  list(event_id ORDER BY event_time) AS event_ids,
  list(DISTINCT source_key) AS source_objects,
  json_object('sessions', list(DISTINCT session_name)) AS details
FROM cloudtrail
WHERE event_time >= $window_start AND event_time < $window_end
  AND event_name = 'AssumeRole'
  AND (request_parameters->>'$.roleArn') LIKE '%:role/' || $role_name
GROUP BY ALL
`
