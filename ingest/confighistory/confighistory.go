package confighistory

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/auditlake/auditlake/ingest/source"
)

// Source is the AWS Config configuration history source.
type Source struct{}

// New returns the AWS Config source.
func New() *Source { return &Source{} }

// Name implements source.Source.
func (*Source) Name() string { return "config" }

// Table implements source.Source.
func (*Source) Table() *source.Table { return table }

// Kinds, as the manifest's log_type records them.
const (
	KindHistory      = "config_history"
	KindSnapshot     = "config_snapshot"
	KindOversized    = "config_oversized_item"
	KindWritability  = "config_writability_check"
	kindFromContents = "config" // sniffed: the key fits no layout
)

// layouts: the three folders AWS Config delivers to under each region and
// day (dates are not zero-padded: 2016/9/27), and the object it writes to
// test that it may write to the bucket. A bucket prefix may come before
// AWSLogs/, and organisation-wide delivery adds the o-... segment.
var layouts = []*source.Layout{
	source.MustLayout(KindHistory, "**/AWSLogs/{org?}/{account}/Config/{region}/{year}/{month}/{day}/ConfigHistory/{file}"),
	source.MustLayout(KindSnapshot, "**/AWSLogs/{org?}/{account}/Config/{region}/{year}/{month}/{day}/ConfigSnapshot/{file}"),
	// OversizedChangeNotification/<resourceType>/<resourceId>/<file>: a
	// resource id may itself hold "/" (ARNs), hence the open tail.
	source.MustLayout(KindOversized, "**/AWSLogs/{org?}/{account}/Config/{region}/{year}/{month}/{day}/OversizedChangeNotification/**"),
	source.MustLayout(KindWritability, "**/AWSLogs/{org?}/{account}/Config/ConfigWritabilityCheckFile"),
}

// Layouts implements source.Source.
func (*Source) Layouts() []*source.Layout { return layouts }

// Classify implements source.Source.
func (*Source) Classify(key string, m source.LayoutMatch) source.Match {
	out := source.Match{Kind: m.Layout.Name, Partition: m.Partition(), Load: true}
	if m.Layout.Name == KindWritability {
		out.Load = false
		out.Note = "AWS Config writability check object (written to test access to the bucket): recorded, not parsed"
	}
	return out
}

// Sniff implements source.Source. A Config file is a JSON object; Config
// writes "fileVersion" first, and the member that matters,
// "configurationItems", is usually within the first bytes too. Objects that
// carry one item or a summary (notifications) are recognised by those
// members, or by a Config messageType when the body is short.
func (*Source) Sniff(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	if bytes.HasPrefix(bytes.TrimLeft(head[1:], " \t\r\n"), []byte(`"fileVersion"`)) {
		return true
	}
	return configMember.Match(head)
}

// configMember finds the members only Config files and notifications have,
// plain or inside an SNS envelope's Message string (quotes escaped), or the
// subject SNS gives Config's notifications.
var configMember = regexp.MustCompile(`\\?"(configurationItems?|configurationItemSummary|s3DeliverySummary)\\?"\s*:` +
	`|\\?"messageType\\?"\s*:\s*\\?"(Oversized)?Configuration` +
	`|"Subject"\s*:\s*"\[AWS Config:`)

// fileKindOf is the file_kind of rows from an object of the given kind.
func fileKindOf(kind string) string {
	switch kind {
	case KindSnapshot:
		return "snapshot"
	case KindOversized:
		return "notification"
	}
	return "history"
}

// snapshotIDFromKey takes the snapshot id from a ConfigSnapshot object's
// name: <account>_Config_<region>_ConfigSnapshot_<time>_<id>.json.gz.
func snapshotIDFromKey(key string) string {
	name := key[strings.LastIndexByte(key, '/')+1:]
	_, rest, ok := strings.Cut(name, "_ConfigSnapshot_")
	if !ok {
		return ""
	}
	_, id, ok := strings.Cut(rest, "_")
	if !ok {
		return ""
	}
	id, _, _ = strings.Cut(id, ".")
	return id
}

var _ source.Source = (*Source)(nil)
