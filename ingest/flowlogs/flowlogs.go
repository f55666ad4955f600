package flowlogs

import (
	"bytes"

	"github.com/auditlake/auditlake/ingest/source"
)

// Source is the VPC Flow Logs source.
type Source struct{}

// New returns the VPC Flow Logs source.
func New() *Source { return &Source{} }

// Name implements source.Source.
func (*Source) Name() string { return "vpc_flow" }

// Table implements source.Source.
func (*Source) Table() *source.Table { return table }

// layouts: the default prefix and the Hive-compatible one, each with or
// without hourly partitions ("HH/" and, in Hive form, "hour=HH/"; a bare
// "HH/" under Hive prefixes is accepted too). Text (.log.gz) and Parquet
// (.log.parquet) objects share them: the loader tells the two apart by
// their first bytes.
var layouts = []*source.Layout{
	source.MustLayout("vpc_flow", "**/AWSLogs/{org?}/{account}/vpcflowlogs/{region}/{year}/{month}/{day}/{hour?}/{file}"),
	source.MustLayout("vpc_flow_hive_hourly", "**/AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={year}/month={month}/day={day}/hour={hour}/{file}"),
	source.MustLayout("vpc_flow_hive", "**/AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={year}/month={month}/day={day}/{hour?}/{file}"),
}

// Layouts implements source.Source.
func (*Source) Layouts() []*source.Layout { return layouts }

// Classify implements source.Source: everything under vpcflowlogs/ is a
// flow log file.
func (*Source) Classify(key string, m source.LayoutMatch) source.Match {
	return source.Match{Kind: "vpc_flow", Partition: m.Partition(), Load: true}
}

// Sniff implements source.Source: the first line is a flow log header that
// starts with "version", or names srcaddr and dstaddr (the NAT gateway
// example format has neither version nor action). Headerless text is only
// read under a vpcflowlogs/ key, never recognised by content: too many
// things are lines of space-separated numbers.
func (*Source) Sniff(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	line, _, complete := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	toks := bytes.Fields(line)
	if !complete && len(toks) > 1 {
		toks = toks[:len(toks)-1] // the last name may be cut short
	}
	if !isHeader(toks) {
		return false
	}
	var src, dst bool
	for _, t := range toks {
		src = src || string(t) == "srcaddr"
		dst = dst || string(t) == "dstaddr"
	}
	return string(toks[0]) == "version" || src && dst
}

var _ source.Source = (*Source)(nil)
