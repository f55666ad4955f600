package synth

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Config says what to generate. The zero value is not useful; start from
// Demo() or fill the fields and call Validate (Generate does).
type Config struct {
	Seed     int64
	Start    time.Time // first day, UTC midnight
	Days     int
	Accounts int      // member accounts; names and ids come from Accounts(n)
	Regions  []string // regions with activity; the first is the default home

	// OrgID ("o-...") makes CloudTrail keys organisation-trail keys:
	// AWSLogs/<org>/<account>/CloudTrail/... Config, flow log and credential
	// report keys never carry it, as on AWS.
	OrgID  string
	Prefix string // key prefix before AWSLogs/ (a trail's S3 key prefix); "" or ending in "/"
	// Bucket is the bucket name written inside CloudTrail digest files.
	// Default: aws-cloudtrail-logs-<management account>-<8 hex>.
	Bucket string

	EventsPerDay int // approximate CloudTrail events a day across the organisation
	// EventsPerFile is the number of events per CloudTrail object. 0 gives
	// AWS's own shape: one or a few objects per account, region and five
	// minutes, so busy regions give objects of hundreds of events and quiet
	// ones objects of one to five. 1 or 2 give the "many tiny objects" shape,
	// thousands the "large file" shape.
	EventsPerFile int

	CloudTrail        bool
	Config            bool // AWS Config history, snapshots, writability check
	CredentialReports bool
	FlowLogs          bool
	FlowRecordsPerDay int

	Incidents bool // inject the incidents listed in Manifest.Incidents
	Junk      bool // also write bad objects (Manifest.Junk)
}

// Demo is the built-in demo organisation, Example Corp: four accounts
// (management, security/log archive, prod, dev), three regions, September
// and October 2026, every source, and the incidents in October so that
// September is a clean baseline.
func Demo() Config {
	return Config{
		Seed:              20260901,
		Start:             time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),
		Days:              61,
		Accounts:          4,
		Regions:           []string{"us-east-1", "eu-west-1", "eu-central-1"},
		OrgID:             DemoOrgID,
		EventsPerDay:      8000,
		CloudTrail:        true,
		Config:            true,
		CredentialReports: true,
		FlowLogs:          true,
		FlowRecordsPerDay: 10000,
		Incidents:         true,
	}
}

// DemoOrgID is the organisation id of the demo organisation.
const DemoOrgID = "o-a7k2m9x4qz"

var (
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	orgRE    = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// Validate reports what is wrong with the configuration, all at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !c.Start.Equal(c.Start.UTC().Truncate(24 * time.Hour)) {
		bad("start %s: must be a UTC midnight", c.Start.Format(time.RFC3339))
	}
	if c.Days < 1 || c.Days > 3660 {
		bad("days %d: must be 1 to 3660", c.Days)
	}
	if c.Accounts < 1 || c.Accounts > 1000 {
		bad("accounts %d: must be 1 to 1000", c.Accounts)
	}
	if len(c.Regions) == 0 {
		bad("regions: need at least one")
	}
	seen := map[string]bool{}
	for _, r := range c.Regions {
		if !regionRE.MatchString(r) {
			bad("region %q: not a region name", r)
		}
		if seen[r] {
			bad("region %q: listed twice", r)
		}
		seen[r] = true
	}
	if c.OrgID != "" && !orgRE.MatchString(c.OrgID) {
		bad("org id %q: must look like o-abcdef1234", c.OrgID)
	}
	if c.Prefix != "" && (!strings.HasSuffix(c.Prefix, "/") || strings.HasPrefix(c.Prefix, "/") || strings.Contains(c.Prefix, "..")) {
		bad("prefix %q: must be relative and end in /", c.Prefix)
	}
	if c.Bucket != "" && !bucketRE.MatchString(c.Bucket) {
		bad("bucket %q: not a bucket name", c.Bucket)
	}
	if c.EventsPerDay < 0 || c.EventsPerFile < 0 || c.FlowRecordsPerDay < 0 {
		bad("events per day, events per file and flow records per day must not be negative")
	}
	if !c.CloudTrail && !c.Config && !c.CredentialReports && !c.FlowLogs && !c.Junk {
		bad("no source selected")
	}
	return errors.Join(errs...)
}

func (c Config) startSec() int64 { return c.Start.Unix() }
func (c Config) endSec() int64   { return c.Start.Unix() + int64(c.Days)*86400 }
