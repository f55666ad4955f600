package synth

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory Putter.
type memStore struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func newMemStore() *memStore { return &memStore{objs: map[string][]byte{}} }

func (s *memStore) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if int64(len(b)) != size {
		return fmt.Errorf("%s: size %d, body %d", key, size, len(b))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.objs[key]; dup {
		return fmt.Errorf("%s written twice", key)
	}
	s.objs[key] = b
	return nil
}

// testConfig is the demo organisation over eight days: every source, every
// incident, small enough for the race detector.
func testConfig() Config {
	c := Demo()
	c.Days = 8
	c.EventsPerDay = 2500
	c.FlowRecordsPerDay = 3000
	c.Junk = true
	return c
}

type fixture struct {
	cfg   Config
	m     *Manifest
	store *memStore
}

var (
	evOnce   sync.Once
	evCached []ctEvent
)

// events decodes the fixture's CloudTrail events once.
func (f fixture) events(t *testing.T) []ctEvent {
	evOnce.Do(func() { evCached = cloudTrailEvents(t, f.store, f.m) })
	return evCached
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
)

func demoFixture(t *testing.T) fixture {
	t.Helper()
	fixOnce.Do(func() {
		fix.cfg = testConfig()
		fix.store = newMemStore()
		fix.m, fixErr = Generate(context.Background(), fix.cfg, fix.store)
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func gunzip(t *testing.T, key string, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return out
}

// Key layouts, as AWS writes them.
var (
	acctRE   = `(\d{12})`
	orgPart  = `(?:o-[a-z0-9]{10,32}/)?`
	regionP  = `([a-z]{2}(?:-[a-z]+)+-\d)`
	layoutRE = map[string]*regexp.Regexp{
		KindCloudTrail: regexp.MustCompile(`^AWSLogs/` + orgPart + acctRE + `/CloudTrail/` + regionP + `/(\d{4})/(\d{2})/(\d{2})/` +
			acctRE + `_CloudTrail_` + regionP + `_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`),
		KindCloudTrailInsight: regexp.MustCompile(`^AWSLogs/` + orgPart + acctRE + `/CloudTrail-Insight/` + regionP + `/(\d{4})/(\d{2})/(\d{2})/` +
			acctRE + `_CloudTrail-Insight_` + regionP + `_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`),
		KindCloudTrailDigest: regexp.MustCompile(`^AWSLogs/` + orgPart + acctRE + `/CloudTrail-Digest/` + regionP + `/(\d{4})/(\d{2})/(\d{2})/` +
			acctRE + `_CloudTrail-Digest_` + regionP + `_[A-Za-z0-9-]+_` + regionP + `_(\d{8}T\d{6}Z)\.json\.gz$`),
		KindConfigHistory: regexp.MustCompile(`^AWSLogs/` + acctRE + `/Config/` + regionP + `/(\d{4})/([1-9]|1[0-2])/([1-9]|[12]\d|3[01])/ConfigHistory/` +
			acctRE + `_Config_` + regionP + `_ConfigHistory_AWS::[A-Za-z0-9]+::[A-Za-z0-9]+_\d{8}T\d{6}Z_\d{8}T\d{6}Z_\d+\.json\.gz$`),
		KindConfigSnapshot: regexp.MustCompile(`^AWSLogs/` + acctRE + `/Config/` + regionP + `/(\d{4})/([1-9]|1[0-2])/([1-9]|[12]\d|3[01])/ConfigSnapshot/` +
			acctRE + `_Config_` + regionP + `_ConfigSnapshot_\d{8}T\d{6}Z_[0-9a-f-]{36}\.json\.gz$`),
		KindConfigCheck:      regexp.MustCompile(`^AWSLogs/` + acctRE + `/Config/ConfigWritabilityCheckFile$`),
		KindCredentialReport: regexp.MustCompile(`^credential-reports/` + acctRE + `/\d{4}-\d{2}-\d{2}\.csv$`),
		KindVPCFlow: regexp.MustCompile(`^AWSLogs/(?:` + acctRE + `/vpcflowlogs/` + regionP + `/\d{4}/\d{2}/\d{2}|aws-account-id=` + acctRE +
			`/aws-service=vpcflowlogs/aws-region=` + regionP + `/year=\d{4}/month=\d{2}/day=\d{2})/` + acctRE + `_vpcflowlogs_` + regionP +
			`_fl-[0-9a-f]{17}_\d{8}T\d{4}Z_[0-9a-f]{8}\.log\.gz$`),
	}
)

func kindOf(key string) string {
	for k, re := range layoutRE {
		if re.MatchString(key) {
			return k
		}
	}
	return ""
}

func TestLayoutAndCounts(t *testing.T) {
	f := demoFixture(t)
	junk := map[string]bool{}
	for _, j := range f.m.Junk {
		junk[j.Key] = true
	}
	got := map[string]int{}
	for key := range f.store.objs {
		if junk[key] {
			got[KindJunk]++
			continue
		}
		k := kindOf(key)
		if k == "" {
			t.Errorf("key matches no AWS layout: %s", key)
			continue
		}
		got[k]++
		// The account and region in the folder repeat in the file name.
		if m := layoutRE[KindCloudTrail].FindStringSubmatch(key); m != nil {
			if m[1] != m[6] || m[2] != m[7] {
				t.Errorf("folder and file name disagree: %s", key)
			}
		}
	}
	if !maps.Equal(got, f.m.Objects) {
		t.Errorf("objects per kind: manifest %v, store %v", f.m.Objects, got)
	}
	for _, k := range []string{KindCloudTrail, KindCloudTrailDigest, KindCloudTrailInsight, KindConfigHistory, KindConfigSnapshot,
		KindConfigCheck, KindCredentialReport, KindVPCFlow, KindJunk} {
		if f.m.Objects[k] == 0 {
			t.Errorf("no %s objects", k)
		}
	}
	if len(f.m.Accounts) != 4 || f.m.Accounts[2].Role != RoleProd {
		t.Errorf("accounts: %+v", f.m.Accounts)
	}
	var bytes int64
	for _, b := range f.store.objs {
		bytes += int64(len(b))
	}
	if bytes != f.m.Bytes {
		t.Errorf("bytes: manifest %d, store %d", f.m.Bytes, bytes)
	}
}

func TestDeterminism(t *testing.T) {
	cfg := testConfig()
	cfg.Days = 2
	run := func(cfg Config, procs int) map[string][]byte {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		s := newMemStore()
		if _, err := Generate(context.Background(), cfg, s); err != nil {
			t.Fatal(err)
		}
		return s.objs
	}
	a := run(cfg, 4)
	b := run(cfg, 1) // scheduling must not matter
	if len(a) != len(b) {
		t.Fatalf("object count differs: %d vs %d", len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Fatalf("object differs between runs: %s", k)
		}
	}
	cfg.Seed++
	c := run(cfg, 2)
	same := 0
	for k, v := range c {
		if bytes.Equal(v, a[k]) {
			same++
		}
	}
	// Only the seed-independent objects may repeat: the writability checks
	// and three junk objects (empty, plain text, README).
	if same > cfg.Accounts+3 {
		t.Errorf("another seed reproduced %d objects", same)
	}
}

type ctRecord struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity *struct {
		Type        string `json:"type"`
		PrincipalID string `json:"principalId"`
		Arn         *string
		AccountID   string  `json:"accountId"`
		AccessKeyID *string `json:"accessKeyId"`
		UserName    string  `json:"userName"`
		InvokedBy   string  `json:"invokedBy"`
		Session     *struct {
			Issuer struct {
				UserName string `json:"userName"`
			} `json:"sessionIssuer"`
			Attributes struct {
				MFA string `json:"mfaAuthenticated"`
			} `json:"attributes"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventTime       string          `json:"eventTime"`
	EventSource     string          `json:"eventSource"`
	EventName       string          `json:"eventName"`
	AwsRegion       string          `json:"awsRegion"`
	SourceIP        string          `json:"sourceIPAddress"`
	UserAgent       string          `json:"userAgent"`
	ErrorCode       *string         `json:"errorCode"`
	ErrorMessage    *string         `json:"errorMessage"`
	RequestParams   json.RawMessage `json:"requestParameters"`
	ResponseElems   json.RawMessage `json:"responseElements"`
	AdditionalData  json.RawMessage `json:"additionalEventData"`
	EventID         string          `json:"eventID"`
	ReadOnly        *bool           `json:"readOnly"`
	EventType       string          `json:"eventType"`
	ManagementEvent *bool           `json:"managementEvent"`
	Recipient       string          `json:"recipientAccountId"`
	EventCategory   string          `json:"eventCategory"`
	Resources       []map[string]string
}

type ctEvent struct {
	ctRecord
	key  string
	raw  json.RawMessage
	time time.Time
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// cloudTrailEvents decodes every CloudTrail object of a store (junk
// excluded), checking each record's required fields.
func cloudTrailEvents(t *testing.T, store *memStore, man *Manifest) []ctEvent {
	t.Helper()
	junk := map[string]bool{}
	for _, j := range man.Junk {
		junk[j.Key] = true
	}
	var out []ctEvent
	for key, b := range store.objs {
		m := layoutRE[KindCloudTrail].FindStringSubmatch(key)
		if m == nil || junk[key] {
			continue
		}
		var doc struct{ Records []json.RawMessage }
		body := gunzip(t, key, b)
		if err := json.Unmarshal(body, &doc); err != nil || doc.Records == nil {
			t.Fatalf("%s: not {\"Records\":[...]}: %v", key, err)
		}
		folder, _ := time.Parse("2006/01/02", m[3]+"/"+m[4]+"/"+m[5])
		stamp, _ := time.Parse("20060102T1504Z", m[8])
		if !stamp.Truncate(24 * time.Hour).Equal(folder) {
			t.Errorf("%s: folder date is not the file time's date", key)
		}
		for _, raw := range doc.Records {
			var r ctRecord
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			tm, err := time.Parse(time.RFC3339, r.EventTime)
			if err != nil || !strings.HasSuffix(r.EventTime, "Z") {
				t.Fatalf("%s: eventTime %q", key, r.EventTime)
			}
			switch {
			case r.EventVersion < "1.08" || r.EventVersion > "1.11":
				t.Errorf("%s: eventVersion %q", key, r.EventVersion)
			case r.UserIdentity == nil || r.EventSource == "" || r.EventName == "" || r.AwsRegion != m[2] || r.Recipient != m[1]:
				t.Errorf("%s: missing or inconsistent fields: %s", key, raw)
			case !uuidRE.MatchString(r.EventID):
				t.Errorf("%s: eventID %q", key, r.EventID)
			case r.ReadOnly == nil || r.ManagementEvent == nil:
				t.Errorf("%s: readOnly/managementEvent missing: %s", key, raw)
			case tm.After(stamp.Add(time.Minute)):
				t.Errorf("%s: event at %s delivered before it happened", key, tm)
			case r.RequestParams == nil || r.ResponseElems == nil:
				t.Errorf("%s: requestParameters and responseElements must be present (null or object): %s", key, raw)
			}
			if r.EventCategory == "Data" && (*r.ManagementEvent || len(r.Resources) == 0 || r.Resources[0]["ARN"] == "") {
				t.Errorf("%s: data event without resources[].ARN: %s", key, raw)
			}
			switch r.EventType {
			case "AwsApiCall", "AwsConsoleSignIn", "AwsServiceEvent":
			default:
				t.Errorf("%s: eventType %q", key, r.EventType)
			}
			out = append(out, ctEvent{ctRecord: r, key: key, raw: raw, time: tm})
		}
	}
	slices.SortFunc(out, func(a, b ctEvent) int {
		if c := a.time.Compare(b.time); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
	return out
}

func TestCloudTrailContent(t *testing.T) {
	f := demoFixture(t)
	evs := f.events(t)
	byID := map[string]ctEvent{}
	var dups, late int64
	for _, e := range evs {
		if prev, ok := byID[e.EventID]; ok {
			dups++
			if !bytes.Equal(prev.raw, e.raw) {
				t.Errorf("event %s delivered twice with different content", e.EventID)
			}
			if prev.key == e.key {
				t.Errorf("event %s twice in one object", e.EventID)
			}
			continue
		}
		byID[e.EventID] = e
		m := layoutRE[KindCloudTrail].FindStringSubmatch(e.key)
		if m[3]+m[4]+m[5] > e.time.Format("20060102") {
			late++
		}
	}
	if int64(len(byID)) != f.m.Events {
		t.Errorf("distinct events: manifest %d, files %d", f.m.Events, len(byID))
	}
	if dups != f.m.DuplicateDeliveries || dups == 0 {
		t.Errorf("duplicate deliveries: manifest %d, files %d", f.m.DuplicateDeliveries, dups)
	}
	// Late events really sit in a later day's folder: the manifest counts
	// first deliveries only, duplicates can be late too.
	if late == 0 || late > f.m.LateDeliveries+dups || late < f.m.LateDeliveries-dups {
		t.Errorf("late deliveries: manifest %d, files %d", f.m.LateDeliveries, late)
	}
	want := float64(f.cfg.EventsPerDay * f.cfg.Days)
	if n := float64(len(byID)); n < want*0.7 || n > want*1.2 {
		t.Errorf("%v events for about %v requested", n, want)
	}

	// The variety a parser must cope with.
	seen := map[string]bool{}
	for _, e := range byID {
		ui := e.UserIdentity
		seen["type:"+ui.Type] = true
		seen["event:"+e.EventType] = true
		seen["category:"+e.EventCategory] = true
		seen["version:"+e.EventVersion] = true
		if e.ErrorCode != nil {
			seen["error:"+*e.ErrorCode] = true
		}
		if ui.AccessKeyID != nil && strings.HasPrefix(*ui.AccessKeyID, "AKIA") {
			seen["akia"] = true
		}
		if ui.AccessKeyID != nil && strings.HasPrefix(*ui.AccessKeyID, "ASIA") {
			seen["asia"] = true
		}
		if ui.Session != nil && strings.HasPrefix(ui.Session.Issuer.UserName, "AWSReservedSSO_") {
			seen["sso"] = true
		}
		if bytes.Contains(e.RequestParams, []byte(`:{}`)) && strings.HasPrefix(e.EventSource, "ec2") {
			seen["ec2-empty-list"] = true
		}
		if bytes.Contains(e.raw, []byte(`"vpcEndpointId"`)) {
			seen["vpce"] = true
		}
		if bytes.Contains(e.raw, []byte(`"sharedEventID"`)) {
			seen["shared"] = true
		}
		if e.EventType == "AwsServiceEvent" && ui.Type == "" && ui.InvokedBy != "" && ui.AccountID != "" {
			seen["service-event-identity"] = true
		}
		if e.EventName == "ConsoleLogin" {
			seen["login:"+string(e.ResponseElems)] = true
		}
	}
	for _, k := range []string{"type:IAMUser", "type:AssumedRole", "type:AWSService", "type:Root", "event:AwsApiCall", "event:AwsConsoleSignIn",
		"event:AwsServiceEvent", "category:Data", "category:Management", "error:AccessDenied", "error:Client.UnauthorizedOperation",
		"error:ThrottlingException", "error:NoSuchBucketPolicy", "akia", "asia", "sso", "ec2-empty-list", "vpce", "shared",
		"service-event-identity", `login:{"ConsoleLogin":"Success"}`, `login:{"ConsoleLogin":"Failure"}`, "version:1.08", "version:1.09", "version:1.10", "version:1.11"} {
		if !seen[k] {
			t.Errorf("no event with %s", k)
		}
	}
}

func TestHabitsAreStable(t *testing.T) {
	f := demoFixture(t)
	type who struct{ acct, principal string }
	ips := map[who]map[string]bool{}
	regions := map[who]map[string]bool{}
	incident := map[string]bool{}
	for _, in := range append(f.m.Incidents, f.m.Benign...) {
		for _, id := range append(in.EventIDs, in.Related...) {
			incident[id] = true
		}
	}
	for _, e := range f.events(t) {
		ui := e.UserIdentity
		if incident[e.EventID] || ui.Type == "" || ui.Type == "AWSService" {
			continue
		}
		name := ui.UserName
		if ui.Session != nil && ui.Session.Issuer.UserName != "" {
			name = ui.Session.Issuer.UserName
		}
		w := who{e.Recipient, name}
		if ips[w] == nil {
			ips[w], regions[w] = map[string]bool{}, map[string]bool{}
		}
		if !strings.HasPrefix(e.SourceIP, "10.") {
			ips[w][e.SourceIP] = true
		}
		regions[w][e.AwsRegion] = true
	}
	for w, set := range ips {
		if strings.HasPrefix(w.principal, "AWSReservedSSO") || w.principal == "" {
			continue // several people share an SSO role
		}
		// People and CI come from two or three places; machines from their
		// VPC (not counted), NAT gateways or Lambda's addresses.
		if (w.principal == "alice" || w.principal == "bob" || w.principal == "carol" || w.principal == "ci-deployer") && len(set) > 2 {
			t.Errorf("%v: IAM user from %d addresses: %v", w, len(set), set)
		}
		if len(set) > 12 {
			t.Errorf("%v: %d public source addresses, want a stable few", w, len(set))
		}
		for ip := range set {
			if strings.HasPrefix(ip, "192.0.2.") {
				t.Errorf("%v: routine call from an attacker address %s", w, ip)
			}
		}
		if regions[w]["ap-southeast-1"] {
			t.Errorf("%v: routine activity in ap-southeast-1", w)
		}
	}
}

func TestIDsAreWellSpread(t *testing.T) {
	keys, tails, hexes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range 2000 {
		k := awsID("ASIA", 16, uint64(i))
		keys[k], tails[k[14:]] = true, true
		h := hexFrom(32, uint64(i))
		hexes[h[16:]] = true
	}
	if len(keys) != 2000 || len(tails) < 500 || len(hexes) != 2000 {
		t.Errorf("2000 ids: %d distinct, %d distinct 6-char tails, %d distinct hex halves", len(keys), len(tails), len(hexes))
	}
}

func TestValidate(t *testing.T) {
	bad := Demo()
	bad.Start = bad.Start.Add(time.Hour)
	bad.Days = 0
	bad.Regions = []string{"eu-west-1", "eu-west-1", "mars"}
	bad.OrgID = "org"
	bad.Prefix = "/abs"
	err := bad.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"midnight", "days 0", "listed twice", `"mars"`, "org id", "prefix"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := Generate(context.Background(), bad, newMemStore()); err == nil {
		t.Error("Generate accepted a bad config")
	}
	if err := Demo().Validate(); err != nil {
		t.Errorf("demo config: %v", err)
	}
}

type failingStore struct{ n int }

func (s *failingStore) Put(context.Context, string, io.Reader, int64) error {
	return errors.New("disk full")
}

func TestPutErrorStops(t *testing.T) {
	cfg := testConfig()
	cfg.Days = 1
	_, err := Generate(context.Background(), cfg, &failingStore{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, cfg, newMemStore()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
}
