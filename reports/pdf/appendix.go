package pdf

import (
	"fmt"
	"strings"
)

// appendix: the exact SQL of every detection with its parameters, the
// ingest manifest summary, and the hash of every other file of the pack.
func (d *doc) appendix() {
	f, m := d.f, d.m
	d.heading("Appendix A  Detections as they ran", "Appendix A")
	d.para(fmt.Sprintf("Detection run %s, window %s to %s (UTC, end excluded), status %s. Each query below is the exact text "+
		"that ran; its SHA-256 is in csv/detections.csv. $window_start and $window_end are the period bounds; the other "+
		"$names are the parameters listed with it.", m.Run.ID, m.Run.WindowStart.UTC().Format("2006-01-02 15:04"),
		m.Run.WindowEnd.UTC().Format("2006-01-02 15:04"), m.Run.Status))
	for _, det := range m.Detections {
		d.ensure(36)
		f.Ln(2)
		f.Bookmark(det.ID, 1, f.GetY())
		f.SetFont(mono, "", 9.5)
		d.color(colAccent)
		f.CellFormat(contentW-40, 5.5, fit(f, det.ID, contentW-40), "", 0, "L", false, 0, "")
		f.SetFont(sans, "", 8)
		d.color(colMuted)
		f.CellFormat(40, 5.5, det.Pack+" "+det.PackVersion+" · "+det.Status, "", 1, "R", false, 0, "")
		f.SetFont(sans, "", 8.5)
		d.color(colInk)
		f.MultiCell(contentW, 4.2, det.Title+". "+det.Description, "", "L", false)
		f.SetFont(mono, "", 7)
		d.color(colMuted)
		f.MultiCell(contentW, 3.6, "sha256 "+det.SQLSHA256+"\nparams "+det.Params, "", "L", false)
		if det.Error != "" {
			d.color(colGap)
			f.MultiCell(contentW, 3.6, "error: "+det.Error, "", "L", false)
		}
		f.Ln(1)
		d.code(det.SQL)
	}

	d.heading("Appendix B  Ingest manifest", "Appendix B")
	in := m.Ingest
	d.para(fmt.Sprintf("The ingest manifest (table ingest_objects) records every object of the archive, what became of it and "+
		"the SHA-256 of its bytes. For the %s whose key date falls in the period, the SHA-256 over their sorted "+
		"(bucket, key, etag, sha256, status) rows is:", plural(in.Objects, "object", "objects")))
	f.SetFont(mono, "", 8.5)
	f.MultiCell(contentW, 4.5, in.SHA256, "", "L", false)
	f.Ln(2)
	var rows [][]string
	for _, r := range in.Rows {
		rows = append(rows, []string{r.LogType, r.Status, num(r.Objects), num(r.Rows), num(r.Bytes)})
	}
	d.table([]col{
		{head: "Log type", w: 0.3, align: "L"},
		{head: "Status", w: 0.16, align: "L"},
		{head: "Objects", w: 0.16, align: "R"},
		{head: "Rows", w: 0.19, align: "R"},
		{head: "Bytes", w: 0.19, align: "R"},
	}, rows, nil)
	if len(in.Runs) > 0 {
		d.note("Recorded by ingest runs " + strings.Join(in.Runs, ", ") + ".")
	}

	d.heading("Appendix C  Files of this pack", "Appendix C")
	d.para("SHA-256 of every file of the pack other than this report and manifest.json. A PDF cannot contain its own hash: " +
		"manifest.json, written after this report, lists the hash of report.pdf and of every file below, and manifest.sig " +
		"(when present) signs manifest.json. 'auditlake verify' checks all of them.")
	rows = rows[:0]
	for _, fl := range m.Files {
		rows = append(rows, []string{fl.Path, num(fl.Size), fl.SHA256})
	}
	d.table([]col{
		{head: "File", w: 0.3, align: "L", mid: true},
		{head: "Bytes", w: 0.1, align: "R"},
		{head: "SHA-256", w: 0.6, align: "L", mono: true},
	}, rows, nil)
}

// code writes SQL in a shaded block, in the monospace font, wrapping long
// lines; page breaks may fall inside it.
func (d *doc) code(sql string) {
	f := d.f
	f.SetFont(mono, "", 7)
	d.color(colInk)
	d.fill(colZebra)
	const lh = 3.3
	for _, line := range strings.Split(strings.TrimRight(strings.ReplaceAll(sql, "\t", "    "), "\n"), "\n") {
		parts := []string{""}
		if line != "" {
			parts = splitMono(f.GetStringWidth("m"), line, contentW-4)
		}
		for _, p := range parts {
			if f.GetY()+lh > pageH-marginB {
				f.AddPage()
				f.SetFont(mono, "", 7)
				d.color(colInk)
				d.fill(colZebra)
			}
			f.SetX(marginL)
			f.CellFormat(contentW, lh, "  "+p, "", 1, "L", true, 0, "")
		}
	}
	f.Ln(2)
}

// splitMono splits a line of monospace text into pieces of at most w mm.
func splitMono(charW float64, line string, w float64) []string {
	n := max(10, int(w/charW))
	r := []rune(line)
	var out []string
	for len(r) > n {
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return append(out, string(r))
}
