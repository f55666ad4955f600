// Package cloudtrail ingests AWS CloudTrail log files: management, data,
// console sign-in and service events from CloudTrail/ folders, Insights
// events from CloudTrail-Insight/ folders. Digest files are recognised and
// recorded, never parsed as events.
//
// Key layout (organisation trails add the o-... segment; a trail's own S3
// key prefix may come before AWSLogs/):
//
//	AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<random>.json.gz
//
// The decoder (decode.go) streams {"Records":[...]} into Arrow record
// batches for the cloudtrail table (table.go).
package cloudtrail

import (
	"bytes"

	"github.com/auditlake/auditlake/ingest/source"
)

// Source is the CloudTrail source.
type Source struct{}

// New returns the CloudTrail source.
func New() *Source { return &Source{} }

// Name implements source.Source.
func (*Source) Name() string { return "cloudtrail" }

// Table implements source.Source.
func (*Source) Table() *source.Table { return table }

var layouts = []*source.Layout{
	source.MustLayout("cloudtrail", "**/AWSLogs/{org?}/{account}/CloudTrail/{region}/{year}/{month}/{day}/{file}"),
	source.MustLayout("cloudtrail_insight", "**/AWSLogs/{org?}/{account}/CloudTrail-Insight/{region}/{year}/{month}/{day}/{file}"),
	source.MustLayout("cloudtrail_digest", "**/AWSLogs/{org?}/{account}/CloudTrail-Digest/{region}/{year}/{month}/{day}/{file}"),
}

// Layouts implements source.Source.
func (*Source) Layouts() []*source.Layout { return layouts }

// Classify implements source.Source.
func (*Source) Classify(key string, m source.LayoutMatch) source.Match {
	out := source.Match{Kind: m.Layout.Name, Partition: m.Partition(), Load: true}
	if m.Layout.Name == "cloudtrail_digest" {
		out.Load = false
		out.Note = "CloudTrail digest file (log file integrity validation): recorded, not parsed as events"
	}
	return out
}

// Sniff implements source.Source: a CloudTrail file starts with
// {"Records": (possibly pretty-printed).
func (*Source) Sniff(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	head = bytes.TrimLeft(head[1:], " \t\r\n")
	return bytes.HasPrefix(head, []byte(`"Records"`))
}

var _ source.Source = (*Source)(nil)
