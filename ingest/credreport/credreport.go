package credreport

import (
	"bytes"

	"github.com/auditlake/auditlake/ingest/source"
)

// Source is the IAM credential report source.
type Source struct{}

// New returns the IAM credential report source.
func New() *Source { return &Source{} }

// Name implements source.Source.
func (*Source) Name() string { return "credential_report" }

// Table implements source.Source.
func (*Source) Table() *source.Table { return table }

// layouts: credential-reports/<account>/<file> under any prefix. The file
// name carries the generation time (YYYY-MM-DDTHHMMSSZ.csv, as `auditlake
// collect` writes it) or only its date (YYYY-MM-DD.csv, as the synthetic
// archive has it); the date layouts come first so that date filters prune
// by it. Any other file name under an account folder is still a credential
// report: the decoder then looks for the time in the file.
var layouts = []*source.Layout{
	source.MustLayout("credential_report_time", "**/credential-reports/{account}/{date}T{time}"),
	source.MustLayout("credential_report_date", "**/credential-reports/{account}/{date}.csv"),
	source.MustLayout("credential_report_date_gz", "**/credential-reports/{account}/{date}.csv.gz"),
	source.MustLayout("credential_report", "**/credential-reports/{account}/{file}"),
}

// Layouts implements source.Source.
func (*Source) Layouts() []*source.Layout { return layouts }

// Classify implements source.Source: everything under an account folder of
// credential-reports/ is a report.
func (*Source) Classify(key string, m source.LayoutMatch) source.Match {
	return source.Match{Kind: "credential_report", Partition: m.Partition(), Load: true}
}

// Sniff implements source.Source: a CSV whose first line (after an
// optional byte order mark and # comment lines) is a header naming user,
// arn and user_creation_time, the columns every report format has.
func (*Source) Sniff(head []byte) bool {
	head = bytes.TrimPrefix(head, bom)
	for {
		line, rest, complete := bytes.Cut(head, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		if complete && (len(line) > 0 && line[0] == '#' || len(bytes.TrimSpace(line)) == 0) {
			head = rest
			continue
		}
		names := bytes.Split(line, []byte(","))
		if !complete {
			names = names[:len(names)-1] // the last name may be cut short
		}
		var user, arn, created bool
		for i, f := range names {
			f = bytes.Trim(bytes.TrimSpace(f), `"`)
			user = user || i == 0 && string(f) == "user"
			arn = arn || string(f) == "arn"
			created = created || string(f) == "user_creation_time"
		}
		return user && arn && created
	}
}

var bom = []byte("\xef\xbb\xbf")

var _ source.Source = (*Source)(nil)
