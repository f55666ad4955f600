package credreport

import (
	"testing"
	"time"
)

func TestLayouts(t *testing.T) {
	for key, want := range map[string]string{
		"credential-reports/111122223333/2026-10-31T081500Z.csv":          "credential_report_time 111122223333 2026-10-31",
		"logs/credential-reports/111122223333/2026-10-31T081500Z.csv.gz":  "credential_report_time 111122223333 2026-10-31",
		"credential-reports/111122223333/2026-10-31.csv":                  "credential_report_date 111122223333 2026-10-31",
		"a/b/credential-reports/111122223333/2026-10-31.csv.gz":           "credential_report_date_gz 111122223333 2026-10-31",
		"credential-reports/111122223333/report.csv":                      "credential_report 111122223333 0001-01-01",
		"credential-reports/111122223333/2026-13-45.csv":                  "credential_report 111122223333 0001-01-01",
		"credential-reports/2026-10-31.csv":                               "",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/31/x.json.gz":  "",
		"credential-reports/111122223333/2026-10-31/extra/2026-10-31.csv": "",
	} {
		got := ""
		for _, l := range layouts {
			if m, ok := l.Match(key); ok {
				p := New().Classify(key, m).Partition
				got = l.Name + " " + p.Account + " " + p.Day.Format(time.DateOnly)
				break
			}
		}
		if got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	for head, want := range map[string]bool{
		"user,arn,user_creation_time,password_enabled\nalice,arn:aws:iam::1:user/alice": true,
		"\xef\xbb\xbf\"user\",\"arn\",\"user_creation_time\"\r\n":                       true,
		"# generated_at: 2026-10-31T08:15:00Z\n\nuser,arn,user_creation_time,pass":      true, // cut short: the last name is ignored
		"user,arn,user_creat":                       false,
		"arn,user,user_creation_time\n":             false,
		"name,email\nalice,a@example.com\n":         false,
		"{\"Records\":[]}":                          false,
		"version account-id interface-id srcaddr\n": false,
		"": false,
	} {
		if got := New().Sniff([]byte(head)); got != want {
			t.Errorf("Sniff(%q) = %v, want %v", head, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]string{
		"2014-10-15T16:31:25+00:00":    "2014-10-15T16:31:25Z",
		"2014-10-15T16:31:25Z":         "2014-10-15T16:31:25Z",
		"2014-10-15 18:31:25+0200":     "2014-10-15T16:31:25Z",
		"2014-10-15T11:31:25.25-05:00": "2014-10-15T16:31:25.25Z",
		"2014-10-15T16:31:25.1234567Z": "2014-10-15T16:31:25.123456Z",
		"2024-02-29T00:00:00+00:00":    "2024-02-29T00:00:00Z",
		"2023-02-29T00:00:00+00:00":    "",
		"2014-10-15T16:31:25":          "",
		"2014-10-15T16:31:25+00:0":     "",
		"2014-10-15T24:00:00Z":         "",
		"2014-1x-15T16:31:25Z":         "",
		"2014-10-15T16:31:25.Z":        "",
		"N/A":                          "",
	} {
		us, ok := parseTime([]byte(in))
		got := ""
		if ok {
			got = time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
		}
		if got != want {
			t.Errorf("parseTime(%q) = %q, want %q", in, got, want)
		}
	}
}
