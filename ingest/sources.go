package ingest

import (
	"github.com/auditlake/auditlake/ingest/cloudtrail"
	"github.com/auditlake/auditlake/ingest/confighistory"
	"github.com/auditlake/auditlake/ingest/credreport"
	"github.com/auditlake/auditlake/ingest/flowlogs"
	"github.com/auditlake/auditlake/ingest/source"
)

// All lists every log type auditlake ingests, in the order keys are matched
// against their layouts. Adding a log type is one package implementing
// source.Source and one line here.
func All() []source.Source {
	return []source.Source{
		cloudtrail.New(),
		flowlogs.New(),
		confighistory.New(),
		credreport.New(),
	}
}
