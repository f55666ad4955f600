package pdf

import (
	"strings"

	"github.com/auditlake/auditlake/reports"
)

// matrix is section 3: the customer's side of the AWS shared responsibility
// model, and for each area the controls, the detections that give evidence
// and the status.
func (d *doc) matrix() {
	m := d.m
	d.heading("3  Shared responsibility matrix", "Shared responsibility")
	d.para("AWS operates the security of the cloud: facilities, hardware, the virtualisation layer and its managed " +
		"services' infrastructure. The customer is responsible for security in the cloud. The table below takes each " +
		"customer-side area, lists the controls of the selected framework(s) that belong to it and the detections that " +
		"give evidence for them, and states the result for the period.")
	var rows [][]string
	areas := m.Matrix()
	for _, a := range areas {
		var ctl, det []string
		for _, c := range a.Controls {
			ctl = append(ctl, c.ID)
		}
		for _, x := range a.Detections {
			det = append(det, x.ID)
		}
		status := a.Status
		if a.Status == reports.StatusFindings {
			status = plural(a.Findings, "finding", "findings")
		}
		if a.Status == reports.StatusNoEvidence {
			status = "no evidence source ingested"
			if len(a.Detections) == 0 {
				status = "no detection gives evidence"
			}
		}
		rows = append(rows, []string{a.Title, a.Customer, nonEmpty(strings.Join(ctl, ", "), "-"), nonEmpty(strings.Join(det, ", "), "-"), status})
	}
	d.table([]col{
		{head: "Area", w: 0.15, align: "L", wrap: 3},
		{head: "Customer responsibility", w: 0.27, align: "L", wrap: 4},
		{head: "Controls", w: 0.14, align: "L", wrap: 6},
		{head: "Detections giving evidence", w: 0.28, align: "L", wrap: 10},
		{head: "Status", w: 0.16, align: "L", wrap: 2},
	}, rows, func(r, c int) (*rgb, bool) {
		if c == 4 {
			col := statusCol[areas[r].Status]
			return &col, true
		}
		return nil, c == 0
	})
	d.note("Status: \"evidence clean\" means the detections ran on ingested data and found nothing; \"findings\" that at " +
		"least one did; \"no evidence source ingested\" that the logs these detections read were not in the database for the period.")
}
