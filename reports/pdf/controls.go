package pdf

import (
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/reports"
)

// maxFindingRows caps a control's findings table in the PDF; the control's
// CSV file holds every finding.
const maxFindingRows = 40

// controls is section 4 (one per framework): every control with its
// summary, the detections used, the result and the findings.
func (d *doc) controls(fw string) {
	m := d.m
	n := 4
	for i, x := range m.Frameworks {
		if x == fw {
			n += i
		}
	}
	d.heading(fmt.Sprintf("%d  Controls: %s", n, reports.FrameworkTitle(fw)), "Controls "+strings.Join(frameworkShort([]string{fw}), ""))
	results := m.ControlResults(fw)
	var rows [][]string
	for _, cr := range results {
		rows = append(rows, []string{cr.Control.ID, cr.Control.Title, fmt.Sprint(len(cr.Detections)), cr.Status, num(cr.Findings)})
	}
	d.table([]col{
		{head: "Control", w: 0.1, align: "L"},
		{head: "Title", w: 0.46, align: "L", wrap: 2},
		{head: "Detections", w: 0.12, align: "R"},
		{head: "Result", w: 0.18, align: "L"},
		{head: "Findings", w: 0.14, align: "R"},
	}, rows, func(r, c int) (*rgb, bool) {
		if c == 3 {
			sc := statusCol[results[r].Status]
			return &sc, true
		}
		return nil, c == 0
	})

	for _, cr := range results {
		d.control(fw, cr)
	}
}

func (d *doc) control(fw string, cr reports.ControlResult) {
	f, m := d.f, d.m
	d.ensure(40)
	f.Ln(3)
	title := cr.Control.ID + "  " + cr.Control.Title
	f.Bookmark(title, 1, f.GetY())
	y := f.GetY()
	d.draw(colRule)
	f.SetLineWidth(0.2)
	f.Line(marginL, y, marginL+contentW, y)
	f.SetY(y + 2)
	f.SetFont(sans, "B", 11)
	d.color(colAccent)
	f.CellFormat(contentW-42, 6, fit(f, title, contentW-44), "", 0, "L", false, 0, "")
	d.color(statusCol[cr.Status])
	f.SetFont(sans, "B", 8.5)
	f.CellFormat(42, 6, strings.ToUpper(cr.Status), "", 1, "R", false, 0, "")
	d.color(colInk)
	if cr.Control.Summary != "" {
		f.SetFont(sans, "I", 9)
		d.color(colMuted)
		f.MultiCell(contentW, 4.5, cr.Control.Summary, "", "L", false)
		f.Ln(1)
	}
	if len(cr.Detections) == 0 {
		d.para("No detection in the selected packs gives evidence for this control; it must be evidenced by other means.")
		return
	}
	var rows [][]string
	for _, det := range cr.Detections {
		res := det.Status
		switch det.Status {
		case "fail":
			res = plural(det.FindingCount, "finding", "findings")
		case "pass":
			res = "no findings"
		case "no_data":
			res = "no data"
		}
		rows = append(rows, []string{det.ID, det.Title, det.Severity, res})
	}
	d.table([]col{
		{head: "Detection", w: 0.32, align: "L", mono: true, mid: true},
		{head: "What it checks", w: 0.42, align: "L", wrap: 2},
		{head: "Severity", w: 0.1, align: "L"},
		{head: "Result", w: 0.16, align: "L"},
	}, rows, func(r, c int) (*rgb, bool) {
		if c == 3 {
			sc := statusCol[cr.Detections[r].Status]
			return &sc, false
		}
		return nil, false
	})
	if cr.Findings == 0 {
		return
	}
	rows = rows[:0]
	var sev []string
	total := 0
	for _, det := range cr.Detections {
		for _, fd := range m.FindingsOf(det.ID) {
			total++
			if len(rows) >= maxFindingRows {
				continue
			}
			ev := evidenceRef(fd)
			when := fd.FirstSeen.UTC().Format("2006-01-02 15:04")
			if !fd.LastSeen.Equal(fd.FirstSeen) && !fd.LastSeen.IsZero() {
				when += "\n" + fd.LastSeen.UTC().Format("2006-01-02 15:04")
			}
			rows = append(rows, []string{fd.Severity, nonEmpty(fd.Principal, "-"), fd.AccountID, when, num(fd.Count), ev, fd.DetectionID})
			sev = append(sev, fd.Severity)
		}
	}
	d.table([]col{
		{head: "Severity", w: 0.1, align: "L"},
		{head: "Principal", w: 0.16, align: "L", mid: true},
		{head: "Account", w: 0.13, align: "L"},
		{head: "First / last seen (UTC)", w: 0.15, align: "L", wrap: 2},
		{head: "Count", w: 0.07, align: "R"},
		{head: "Evidence (event id or object)", w: 0.39, align: "L", wrap: 2, mono: true, mid: true},
		{head: "", w: 0, align: "L"},
	}[:6], rows, func(r, c int) (*rgb, bool) {
		if c == 0 {
			sc := severityCol[sev[r]]
			return &sc, true
		}
		return nil, false
	})
	path := "csv/" + fw + "/" + reports.FileSafe(cr.Control.ID) + ".csv"
	if total > len(rows) {
		d.note(fmt.Sprintf("First %d of %d findings shown; all of them, with every event id and S3 key, are in %s.", len(rows), total, path))
	} else {
		d.note("Every event id and S3 key behind these findings: " + path + ".")
	}
}

// evidenceRef names the evidence of a finding in two short lines: the
// first event id (or record) and the first source object, with how many
// more there are.
func evidenceRef(fd reports.Finding) string {
	var parts []string
	if n := len(fd.EventIDs); n > 0 {
		s := fd.EventIDs[0]
		if n > 1 {
			s += fmt.Sprintf(" +%d", n-1)
		}
		parts = append(parts, s)
	}
	if n := len(fd.SourceObjects); n > 0 {
		s := fd.SourceObjects[0]
		if n > 1 {
			s = fmt.Sprintf("+%d ", n-1) + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n")
}
