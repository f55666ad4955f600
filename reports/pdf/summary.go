package pdf

import (
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/reports"
)

// summary is section 2: findings by severity and by control, the trend
// against the previous period, and the charts.
func (d *doc) summary() {
	f, m := d.f, d.m
	d.heading("2  Executive summary", "Executive summary")
	sev := m.SeverityCounts()
	total := int64(len(m.Findings))
	var failing, ran int64
	for _, det := range m.Detections {
		if det.Status == "fail" {
			failing++
		}
		if det.Status == "pass" || det.Status == "fail" {
			ran++
		}
	}
	d.para(fmt.Sprintf("%s ran on data for the period; %s reported %s.",
		plural(ran, "detection", "detections"), plural(failing, "detection", "detections"), plural(total, "finding", "findings")))

	// severity tiles
	y := f.GetY() + 1
	tw := (contentW - 4*3) / 5
	for i, s := range reports.Severities {
		x := marginL + float64(i)*(tw+3)
		d.fill(colZebra)
		f.Rect(x, y, tw, 17, "F")
		d.fill(severityCol[s])
		f.Rect(x, y, 1.2, 17, "F")
		f.SetXY(x+4, y+2)
		f.SetFont(sans, "B", 15)
		d.color(severityCol[s])
		f.CellFormat(tw-5, 7, num(sev[s]), "", 0, "L", false, 0, "")
		f.SetXY(x+4, y+10)
		f.SetFont(sans, "", 8)
		d.color(colMuted)
		f.CellFormat(tw-5, 4, strings.ToUpper(s[:1])+s[1:], "", 0, "L", false, 0, "")
	}
	f.SetXY(marginL, y+22)
	d.color(colInk)

	d.subheading("Findings by severity", 40, true)
	var rows [][]string
	if p := m.Previous; p != nil {
		for _, s := range reports.Severities {
			rows = append(rows, []string{s, num(sev[s]), num(p.BySeverity[s]), delta(sev[s], p.BySeverity[s])})
		}
		rows = append(rows, []string{"total", num(total), num(p.Total), delta(total, p.Total)})
		d.table([]col{
			{head: "Severity", w: 0.3, align: "L"},
			{head: "This period (" + m.Period.Label + ")", w: 0.25, align: "R"},
			{head: "Previous (" + p.Label + ")", w: 0.25, align: "R"},
			{head: "Change", w: 0.2, align: "R"},
		}, rows, sevStyle(rows))
	} else {
		for _, s := range reports.Severities {
			rows = append(rows, []string{s, num(sev[s])})
		}
		rows = append(rows, []string{"total", num(total)})
		d.table([]col{
			{head: "Severity", w: 0.5, align: "L"},
			{head: "Findings (" + m.Period.Label + ")", w: 0.5, align: "R"},
		}, rows, sevStyle(rows))
		d.note("No detection run for the previous period of the same length is in the database, so no trend is shown.")
	}

	for _, fw := range m.Frameworks {
		var labels []string
		var values []int64
		var colors []rgb
		var clean, findings, noEv int
		for _, cr := range m.ControlResults(fw) {
			switch cr.Status {
			case reports.StatusClean:
				clean++
			case reports.StatusFindings:
				findings++
			case reports.StatusNoEvidence, reports.StatusNotCovered:
				noEv++
			}
			if len(cr.Detections) == 0 {
				continue
			}
			labels = append(labels, cr.Control.ID+" "+cr.Control.Title)
			values = append(values, cr.Findings)
			colors = append(colors, statusCol[cr.Status])
		}
		d.subheading("Findings per control: "+reports.FrameworkTitle(fw), 20, true)
		d.para(fmt.Sprintf("%d controls with findings, %d with clean evidence, %d without evidence in this pack.", findings, clean, noEv))
		if len(labels) > 0 {
			d.barsH("Findings per control (controls with at least one detection)", labels, values, colors)
		}
	}

	d.subheading("Activity and findings over time", 70, true)
	d.columns("CloudTrail events per day", m.EventsPerDay, colAccent, "no CloudTrail data ingested for this day (a gap in the evidence, not a quiet day)")
	var days []time.Time
	bySev := map[string][]int64{}
	for _, s := range reports.Severities {
		bySev[s] = make([]int64, len(m.FindingsPerDay))
	}
	for i, dc := range m.FindingsPerDay {
		days = append(days, dc.Day)
		_ = i
	}
	dayIndex := map[string]int{}
	for i, t := range days {
		dayIndex[t.Format(time.DateOnly)] = i
	}
	for _, fd := range m.Findings {
		if i, ok := dayIndex[fd.FirstSeen.UTC().Format(time.DateOnly)]; ok {
			if _, known := bySev[fd.Severity]; known {
				bySev[fd.Severity][i]++
			}
		}
	}
	d.stacked("Findings by the day they were first seen", days, bySev)

	d.subheading("Detections with findings", 30, true)
	rows = rows[:0]
	for _, det := range m.Detections {
		if det.Status != "fail" {
			continue
		}
		rows = append(rows, []string{det.Title, det.ID, det.Severity, num(det.FindingCount)})
	}
	if len(rows) == 0 {
		d.para("No detection reported a finding.")
		return
	}
	d.table([]col{
		{head: "Detection", w: 0.4, align: "L", wrap: 2},
		{head: "Id", w: 0.38, align: "L", mono: true, mid: true},
		{head: "Severity", w: 0.11, align: "L"},
		{head: "Findings", w: 0.11, align: "R"},
	}, rows, func(r, c int) (*rgb, bool) {
		if c == 2 {
			col := severityCol[rows[r][2]]
			return &col, true
		}
		return nil, false
	})
}

func sevStyle(rows [][]string) cellStyle {
	return func(r, c int) (*rgb, bool) {
		if col, ok := severityCol[rows[r][0]]; ok && c == 0 {
			return &col, true
		}
		return nil, rows[r][0] == "total"
	}
}

func delta(now, prev int64) string {
	switch {
	case now == prev:
		return "no change"
	case now > prev:
		return "+" + num(now-prev)
	}
	return "−" + num(prev-now)
}
