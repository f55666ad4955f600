package source

import (
	"strings"
	"testing"
	"time"
)

var trail = MustLayout("cloudtrail", "**/AWSLogs/{org?}/{account}/CloudTrail/{region}/{year}/{month}/{day}/{file}")
var hive = MustLayout("vpc_flow_hive", "**/AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={year}/month={month}/day={day}/{hour?}/{file}")
var creds = MustLayout("credential_report", "**/credential-reports/{account}/{date}.csv")

func TestLayoutMatch(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		l    *Layout
		key  string
		ok   bool
		want Partition
	}{
		{trail, "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/05/111122223333_CloudTrail_eu-west-1_20261005T0000Z_x.json.gz", true, Partition{Account: "111122223333", Region: "eu-west-1", Day: day(2026, 10, 5)}},
		{trail, "AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2026/10/05/f.json.gz", true, Partition{Org: "o-abc123def4", Account: "111122223333", Region: "eu-west-1", Day: day(2026, 10, 5)}},
		{trail, "my-prefix/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/31/f.json.gz", true, Partition{Account: "111122223333", Region: "us-east-1", Day: day(2026, 1, 31)}},
		{trail, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/31/f.json.gz", false, Partition{}},
		{trail, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/f.json.gz", false, Partition{}},
		{trail, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/02/30/f.json.gz", true, Partition{Account: "111122223333", Region: "us-east-1"}}, // not a real day
		{hive, "AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=10/day=05/13/x.log.gz", true, Partition{Account: "111122223333", Region: "eu-west-1", Day: day(2026, 10, 5)}},
		{hive, "AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=10/day=05/x.log.gz", true, Partition{Account: "111122223333", Region: "eu-west-1", Day: day(2026, 10, 5)}},
		{creds, "audit/credential-reports/111122223333/2026-10-31.csv", true, Partition{Account: "111122223333", Day: day(2026, 10, 31)}},
		{creds, "audit/credential-reports/111122223333/latest.csv", false, Partition{}},
	}
	for _, c := range cases {
		m, ok := c.l.Match(c.key)
		if ok != c.ok {
			t.Errorf("%s.Match(%q) = %v, want %v", c.l.Name, c.key, ok, c.ok)
			continue
		}
		if ok && m.Partition() != c.want {
			t.Errorf("%s.Match(%q).Partition() = %+v, want %+v", c.l.Name, c.key, m.Partition(), c.want)
		}
	}
}

func TestLayoutDir(t *testing.T) {
	f := Filter{
		Since:    time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Until:    time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
		Accounts: map[string]bool{"111122223333": true},
		Regions:  map[string]bool{"eu-west-1": true},
	}
	cases := []struct {
		dir  string
		want Verdict
	}{
		{"AWSLogs", Descend},
		{"AWSLogs/111122223333", Descend},
		{"AWSLogs/o-abc123def4", Descend},
		{"AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2026/10", Descend},
		{"AWSLogs/444455556666", Prune},
		{"AWSLogs/o-abc123def4/444455556666", Prune},
		{"AWSLogs/111122223333/CloudTrail/us-east-1", Prune},
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/2025", Prune},
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/09", Prune},
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/31", Descend},
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/01", Prune},
		{"prefix/AWSLogs/111122223333/CloudTrail", Descend},
		{"somewhere-else", Unknown},
	}
	for _, c := range cases {
		if got := trail.Dir(strings.Split(c.dir, "/"), f); got != c.want {
			t.Errorf("Dir(%q) = %v, want %v", c.dir, got, c.want)
		}
	}
	if got := trail.Dir([]string{"AWSLogs", "444455556666"}, Filter{}); got != Descend {
		t.Errorf("empty filter prunes: %v", got)
	}
}
