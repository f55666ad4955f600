package source_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/ingest/cloudtrail"
	"github.com/auditlake/auditlake/ingest/confighistory"
	"github.com/auditlake/auditlake/ingest/credreport"
	"github.com/auditlake/auditlake/ingest/flowlogs"
	"github.com/auditlake/auditlake/ingest/source"
)

// fuzzLayouts are the layouts of every source, as the loader tries them.
var fuzzLayouts = func() []*source.Layout {
	var out []*source.Layout
	for _, s := range []source.Source{cloudtrail.New(), flowlogs.New(), confighistory.New(), credreport.New()} {
		out = append(out, s.Layouts()...)
	}
	return out
}()

var (
	regionRE = regexp.MustCompile(`^[a-z0-9-]+$`)
	orgRE    = regexp.MustCompile(`^o-[a-z0-9]+$`)
)

// FuzzLayoutMatch: key layout recognition on arbitrary keys never panics,
// and what it captures is what the layouts promise:
//   - a matched key's fields round-trip: each is non-empty, holds no "/",
//     and fits its placeholder (region [a-z0-9-]+, org o-..., year 4
//     digits, month and day 1-2 digits, date YYYY-MM-DD); the account is
//     a whole key segment (or the value of aws-account-id=), never an
//     organisation id; it is not checked to be 12 digits, on purpose:
//     published data has 9- to 13-digit accounts and "redacted";
//   - the partition's day, when set, is the key's date;
//   - pruning is sound: with a filter made from the key's own partition,
//     every directory above the key is one the loader descends into;
//   - a key built from 12-digit account, region and date fields matches
//     its layout and gives those fields back.
func FuzzLayoutMatch(f *testing.F) {
	for _, k := range []string{
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/05/111122223333_CloudTrail_eu-west-1_20261005T0000Z_x.json.gz",
		"AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2026/10/05/f.json.gz",
		"my prefix/AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/01/31/f.json.gz",
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/02/30/f.json.gz",
		"AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=10/day=05/13/x.log.gz",
		"AWSLogs/123456789010/vpcflowlogs/us-east-1/2019/08/27/12/x.log.gz",
		"AWSLogs/123456789012/Config/us-west-2/2014/3/7/ConfigHistory/123456789012_Config_us-west-2_ConfigHistory_AWS::EC2::Volume_20140307T000000Z_20140307T060000Z_1.json.gz",
		"AWSLogs/123456789012/Config/us-west-2/2014/3/7/OversizedChangeNotification/AWS::EC2::Instance/i-1/x.json.gz",
		"AWSLogs/redacted/Config/ConfigWritabilityCheckFile",
		"audit/credential-reports/111122223333/2026-10-31T081500Z.csv", "credential-reports/prod/2026-02-30.csv.gz",
		"AWSLogs/AWSLogs/AWSLogs/1/CloudTrail/a/2026/1/1/f", "AWSLogs//CloudTrail//2026/01/01/", "", "/", "//", "../..",
		"AWSLogs/o-/1/CloudTrail/r/2026/00/00/f", "AWSLogs/1/CloudTrail/r/0000/99/99/f",
		"a/AWSLogs/ü ñ+%2F/CloudTrail/eu-west-1/2026/10/05/%20 + ü.json.gz",
	} {
		f.Add(k, uint64(111122223333), "eu-west-1", uint32(20000))
	}
	f.Fuzz(func(t *testing.T, key string, acct uint64, region string, days uint32) {
		if len(key) > 4096 {
			t.Skip()
		}
		for _, l := range fuzzLayouts {
			if m, ok := l.Match(key); ok {
				checkMatch(t, l, key, m)
			}
			// Directory judgements on arbitrary prefixes must not panic.
			segs := strings.Split(key, "/")
			l.Dir(segs, source.Filter{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Accounts: map[string]bool{"111122223333": true}})
		}
		roundTrip(t, acct, region, days)
	})
}

func checkMatch(t *testing.T, l *source.Layout, key string, m source.LayoutMatch) {
	t.Helper()
	keySegs := strings.Split(key, "/")
	for name, v := range m.Fields {
		if v == "" {
			if name == "org" || name == "hour" {
				continue // absent optional
			}
			t.Fatalf("%s %q: empty %s", l.Name, key, name)
		}
		if strings.Contains(v, "/") {
			t.Fatalf("%s %q: %s %q holds a /", l.Name, key, name, v)
		}
		ok := true
		switch name {
		case "region":
			ok = regionRE.MatchString(v)
		case "org":
			ok = orgRE.MatchString(v)
		case "year":
			ok = len(v) == 4 && isDigits(v)
		case "month", "day":
			ok = len(v) <= 2 && isDigits(v)
		case "hour":
			ok = len(v) == 2 && isDigits(v)
		case "date":
			_, err := time.Parse(time.DateOnly, v)
			ok = err == nil
		case "account":
			ok = !strings.HasPrefix(v, "o-") && (contains(keySegs, v) || contains(keySegs, "aws-account-id="+v))
		}
		if !ok {
			t.Fatalf("%s %q: %s %q does not fit its placeholder", l.Name, key, name, v)
		}
	}
	p := m.Partition()
	if !p.Day.IsZero() {
		y, mo, d := m.Fields["year"], m.Fields["month"], m.Fields["day"]
		if date := m.Fields["date"]; date != "" {
			if p.Day.Format(time.DateOnly) != date {
				t.Fatalf("%s %q: day %s from date %q", l.Name, key, p.Day, date)
			}
		} else if atoi(y) != p.Day.Year() || atoi(mo) != int(p.Day.Month()) || atoi(d) != p.Day.Day() {
			t.Fatalf("%s %q: day %s from %s/%s/%s", l.Name, key, p.Day, y, mo, d)
		}
	}
	// Pruning soundness: a filter the key passes never prunes a directory
	// above it.
	flt := source.Filter{Since: p.Day, Until: p.Day}
	if p.Account != "" {
		flt.Accounts = map[string]bool{p.Account: true}
	}
	if p.Region != "" {
		flt.Regions = map[string]bool{p.Region: true}
	}
	if !flt.Allows(p) {
		t.Fatalf("%s %q: the key's own partition %+v does not pass its filter", l.Name, key, p)
	}
	// The loader descends into a directory some layout descends into, or
	// that no layout prunes (it may hold keys of no known layout).
	// Pruning assumes one anchor a key: "AWSLogs/999/x/AWSLogs/1/CloudTrail/..."
	// is pruned at "AWSLogs/999/" when only account 1 is wanted (the
	// fuzzer's first finding; AWS never nests AWSLogs/ in another account's
	// folder, and listing everything below every folder to find out would
	// defeat pruning).
	if anchors(keySegs) > 1 {
		return
	}
	for i := 1; i < len(keySegs); i++ {
		descend, prunedBy := false, ""
		for _, o := range fuzzLayouts {
			switch o.Dir(keySegs[:i], flt) {
			case source.Descend:
				descend = true
			case source.Prune:
				prunedBy = o.Name
			}
		}
		if !descend && prunedBy != "" {
			t.Fatalf("%s %q: directory %q pruned by %s under the key's own partition %+v", l.Name, key, strings.Join(keySegs[:i], "/")+"/", prunedBy, p)
		}
	}
}

// roundTrip builds keys for each kind of layout from a 12-digit account,
// a region and a date, and checks they match and give the fields back.
func roundTrip(t *testing.T, acct uint64, region string, days uint32) {
	t.Helper()
	account := fmt.Sprintf("%012d", acct%1_000_000_000_000)
	if !regionRE.MatchString(region) || len(region) > 64 {
		region = "eu-west-1"
	}
	day := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days%80000)) // up to year 2189
	ymd, ymdNoPad := day.Format("2006/01/02"), day.Format("2006/1/2")
	keys := map[string]string{
		"cloudtrail":     "AWSLogs/" + account + "/CloudTrail/" + region + "/" + ymd + "/" + account + "_CloudTrail_" + region + "_" + day.Format("20060102T1504Z") + "_x.json.gz",
		"vpc_flow":       "p/AWSLogs/" + account + "/vpcflowlogs/" + region + "/" + ymd + "/f.log.gz",
		"vpc_flow_hive":  "AWSLogs/aws-account-id=" + account + "/aws-service=vpcflowlogs/aws-region=" + region + "/year=" + day.Format("2006") + "/month=" + day.Format("01") + "/day=" + day.Format("02") + "/f.parquet",
		"config_history": "AWSLogs/o-abc/" + account + "/Config/" + region + "/" + ymdNoPad + "/ConfigHistory/f.json.gz",
		// No region in a credential report's key.
		"credential_report_date": "x y/credential-reports/" + account + "/" + day.Format(time.DateOnly) + ".csv",
	}
	for name, key := range keys {
		wantRegion := region
		if strings.HasPrefix(name, "credential_report") {
			wantRegion = ""
		}
		var l *source.Layout
		for _, c := range fuzzLayouts {
			if c.Name == name {
				l = c
			}
		}
		if l == nil {
			t.Fatalf("no layout %s", name)
		}
		m, ok := l.Match(key)
		if !ok {
			t.Fatalf("%s does not match %q", name, key)
		}
		if p := m.Partition(); p.Account != account || p.Region != wantRegion || !p.Day.Equal(day) {
			t.Fatalf("%s %q: partition %+v, want %s %q %s", name, key, p, account, wantRegion, day.Format(time.DateOnly))
		}
		checkMatch(t, l, key, m)
	}
}

// anchors counts the segments a layout's "**" can anchor on.
func anchors(segs []string) int {
	n := 0
	for _, s := range segs {
		if s == "AWSLogs" || s == "credential-reports" {
			n++
		}
	}
	return n
}

func contains(segs []string, s string) bool {
	for _, x := range segs {
		if x == s {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
