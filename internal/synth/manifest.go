package synth

import (
	"slices"
	"strings"
	"time"
)

// Object kinds, the keys of Manifest.Objects.
const (
	KindCloudTrail        = "cloudtrail"
	KindCloudTrailDigest  = "cloudtrail_digest"
	KindCloudTrailInsight = "cloudtrail_insight"
	KindConfigHistory     = "config_history"
	KindConfigSnapshot    = "config_snapshot"
	KindConfigCheck       = "config_check"
	KindCredentialReport  = "credential_report"
	KindVPCFlow           = "vpc_flow"
	KindJunk              = "junk"
)

// Manifest records what Generate wrote, so that tests can assert exact
// counts and find the injected incidents by event id.
type Manifest struct {
	Objects map[string]int // objects written per kind (Kind* constants)
	// Events is the number of distinct CloudTrail events (eventIDs) in
	// CloudTrail objects, insight events and junk objects excluded.
	Events int64
	// DuplicateDeliveries counts events written a second time, with the same
	// eventID and bytes, in a later object (CloudTrail delivers at least once).
	DuplicateDeliveries int64
	// LateDeliveries counts events whose object sits in a later day's folder
	// than the event's own day (the object was delivered after midnight).
	LateDeliveries       int64
	InsightEvents        int64
	ConfigItems          int64 // configuration items in ConfigHistory objects
	CredentialReportRows int64 // data rows (header excluded), <root_account> included
	FlowRecords          int64 // record lines, NODATA and SKIPDATA included
	Bytes                int64 // bytes written, as stored (compressed)

	Accounts  []Account  // the organisation, in account order
	Incidents []Incident // sorted by time, then id
	// Benign lists look-alike events planted next to the incidents that a
	// detection must not report (or must rate lower): the negative controls.
	Benign []Incident
	Junk   []JunkObject // sorted by key
}

// Incident is one injected incident (or, in Manifest.Benign, one planted
// look-alike).
type Incident struct {
	ID      string    // stable id, e.g. "root_console_login"
	Time    time.Time // first event
	Account string    // 12-digit account id
	Region  string
	// Principal is the readable actor: IAM user name, role name (for SSO the
	// AWSReservedSSO_... role), "<root_account>", or a service name.
	Principal string
	Session   string   // role session name, when the actor is an assumed role
	SourceIP  string   // where the actor came from
	EventIDs  []string // CloudTrail eventIDs, in time order; empty for non-CloudTrail evidence
	// Related are other planted events of the same story that are not the
	// incident itself, e.g. the AssumeRole that obtained the credentials.
	Related []string
	// Evidence names other sources that show the incident, e.g.
	// "vpc_flow: 14 records ACCEPT 192.0.2.77 -> 10.20.1.10:22".
	Evidence    []string
	Description string
}

// JunkObject is one deliberately bad object.
type JunkObject struct {
	Key     string
	Problem string
	// ValidEvents is how many valid CloudTrail events the object still holds
	// (non-zero only for the object with one mistyped record).
	ValidEvents int
}

func newManifest() *Manifest {
	return &Manifest{Objects: map[string]int{}}
}

// add merges counts from a work unit.
func (m *Manifest) add(o *Manifest) {
	for k, v := range o.Objects {
		m.Objects[k] += v
	}
	m.Events += o.Events
	m.DuplicateDeliveries += o.DuplicateDeliveries
	m.LateDeliveries += o.LateDeliveries
	m.InsightEvents += o.InsightEvents
	m.ConfigItems += o.ConfigItems
	m.CredentialReportRows += o.CredentialReportRows
	m.FlowRecords += o.FlowRecords
	m.Bytes += o.Bytes
	m.Junk = append(m.Junk, o.Junk...)
}

func (m *Manifest) sort() {
	byTime := func(a, b Incident) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortFunc(m.Incidents, byTime)
	slices.SortFunc(m.Benign, byTime)
	slices.SortFunc(m.Junk, func(a, b JunkObject) int { return strings.Compare(a.Key, b.Key) })
}

// Incident returns the first incident with the given id.
func (m *Manifest) Incident(id string) (Incident, bool) {
	for _, in := range m.Incidents {
		if in.ID == id {
			return in, true
		}
	}
	return Incident{}, false
}
