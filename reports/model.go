package reports

import "time"

// Model is everything an evidence pack shows. Package evidence fills it;
// every slice is sorted as documented on its field.
type Model struct {
	Org         string
	Period      Period
	Frameworks  []string // selected: soc2, iso27001, cis_aws_v3 (catalogue order)
	Accounts    []string // the --accounts filter; empty means every account
	GeneratedAt time.Time
	ToolVersion string
	PackFormat  string // evidence pack format version, e.g. "auditlake-evidence-pack/1"
	Database    Database

	Run        Run
	Detections []Detection // in catalogue order (pack, id)
	Findings   []Finding   // by severity, detection, account, principal, resource, first_seen
	// Controls maps a framework to its catalogue, in catalogue order.
	Controls map[string][]Control

	Coverage       Coverage
	EventsPerDay   []DayCount // CloudTrail rows per day of the period, every day present
	FindingsPerDay []DayCount // findings by the day they were first seen, every day present
	Previous       *PeriodSummary
	Ingest         IngestSummary

	// Files are the pack files other than the PDF and the manifest, with
	// their hashes, by path; the PDF appendix lists them.
	Files []File
}

// Period is the analysed window [Start, End).
type Period struct {
	Label      string // "2026-10", "2026-Q3" or "2026-10-01_2026-10-15"
	Start, End time.Time
}

// LastDay is the last day inside the period.
func (p Period) LastDay() time.Time { return p.End.Add(-time.Nanosecond).Truncate(24 * time.Hour) }

// Days is the number of calendar days in the period (a partial day counts).
func (p Period) Days() int {
	return int(p.LastDay().Sub(p.Start.Truncate(24*time.Hour)).Hours()/24) + 1
}

// Database names the database the pack was built from.
type Database struct {
	File          string // base name of the DuckDB file
	DuckDBVersion string
}

// Run is the detection run the findings come from.
type Run struct {
	ID                     string
	StartedAt, FinishedAt  time.Time
	WindowStart, WindowEnd time.Time
	Version                string // auditlake version that ran it
	Status                 string // ok or partial
	Packs                  []PackRef
}

// PackRef names a detection pack and its version.
type PackRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Detection is one detection's result in the run.
type Detection struct {
	ID, Pack, PackVersion string
	Title, Description    string
	Severity              string
	Status                string // pass, fail, no_data, error (after the account filter)
	FindingCount          int64
	Error                 string
	Sources               []string
	Controls              map[string][]string // framework -> control ids
	Why, Remediation      string
	Params                string // JSON, keys sorted
	SQL, SQLSHA256        string
}

// Finding is one finding of the run.
type Finding struct {
	DetectionID, FindingID, Severity       string
	AccountID, Region, Principal, Resource string
	FirstSeen, LastSeen                    time.Time
	Count                                  int64
	EventIDs, SourceObjects                []string
	Details                                string // JSON
}

// Control is one entry of a control catalogue.
type Control struct {
	Framework, ID, Title, Summary, Responsibility string
}

// Coverage is what the ingested evidence covers in the period.
type Coverage struct {
	Accounts, Regions, Sources []string // sorted
	Streams                    []Stream // by source, account, region
	FailedObjects              []FailedObject
	FailedTotal                int64 // failed objects in the period (FailedObjects may be capped)
}

// Stream is one source, account and region.
type Stream struct {
	Source, Account, Region string
	Periodic                bool // credential reports, Config history: days without data are not gaps (ingest.Periodic)
	Objects, Failed, Rows   int64
	Days                    []Day // every day of the period
}

// Day is one day of a stream.
type Day struct {
	Date                  time.Time
	Objects, Failed, Rows int64
	State                 string // ok, no data, failed objects
}

// Covered counts the stream's days with data.
func (s *Stream) Covered() int {
	n := 0
	for _, d := range s.Days {
		if d.Objects > 0 {
			n++
		}
	}
	return n
}

// Missing lists the days without data, and the days with failed objects.
func (s *Stream) Missing() (noData, failed []time.Time) {
	for _, d := range s.Days {
		switch d.State {
		case "no data":
			noData = append(noData, d.Date)
		case "failed objects":
			failed = append(failed, d.Date)
		}
	}
	return noData, failed
}

// FailedObject is an object of the period that could not be loaded.
type FailedObject struct {
	Source, Account, Region string
	Day                     time.Time
	Bucket, Key, Error      string
}

// DayCount is a count for one day.
type DayCount struct {
	Day   time.Time
	Count int64
	// Missing marks a day without any data for the counted source (a gap,
	// not a zero).
	Missing bool
}

// PeriodSummary summarises the previous period's run, for the trend.
type PeriodSummary struct {
	Label      string
	RunID      string
	Total      int64
	BySeverity map[string]int64
}

// IngestSummary summarises the ingest manifest (ingest_objects) for the
// objects whose key date is in the period.
type IngestSummary struct {
	Rows []IngestRow // by source, status
	// Objects and SHA256 identify the manifest rows: SHA-256 over the rows'
	// bucket, key, etag, sha256 and status, sorted (see evidence.IngestDigest).
	Objects int64
	SHA256  string
	Runs    []string // ingest run ids that recorded these rows, sorted
}

// IngestRow counts objects of one log type and status.
type IngestRow struct {
	LogType, Status string
	Objects, Rows   int64
	Bytes           int64
}

// File is one file of the pack.
type File struct {
	Path   string `json:"path"` // slash-separated, relative to the pack
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Severities in decreasing order of urgency.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// FrameworkTitle is a framework's display name.
func FrameworkTitle(fw string) string {
	switch fw {
	case "soc2":
		return "SOC 2 (Trust Services Criteria)"
	case "iso27001":
		return "ISO/IEC 27001:2022 Annex A"
	case "cis_aws_v3":
		return "CIS AWS Foundations Benchmark v3.0"
	}
	return fw
}

// FindingsOf returns the findings of one detection, in model order.
func (m *Model) FindingsOf(detectionID string) []Finding {
	var out []Finding
	for _, f := range m.Findings {
		if f.DetectionID == detectionID {
			out = append(out, f)
		}
	}
	return out
}

// Detection returns a detection by id.
func (m *Model) Detection(id string) *Detection {
	for i := range m.Detections {
		if m.Detections[i].ID == id {
			return &m.Detections[i]
		}
	}
	return nil
}

// SeverityCounts counts findings per severity.
func (m *Model) SeverityCounts() map[string]int64 {
	out := map[string]int64{}
	for _, f := range m.Findings {
		out[f.Severity]++
	}
	return out
}
