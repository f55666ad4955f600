package pdf

import (
	"strings"
	"time"

	"github.com/auditlake/auditlake/reports"
)

// cover is page 1: who, what period, which frameworks, when and with what.
// It is the only page that shows the generation time (the PDF's creation
// date is the same time).
func (d *doc) cover() {
	f, m := d.f, d.m
	f.AddPage()
	d.fill(colAccent)
	f.Rect(0, 0, pageW, 8, "F")

	f.SetXY(marginL, 52)
	f.SetFont(sans, "", 11)
	d.color(colMuted)
	f.CellFormat(contentW, 6, strings.ToUpper(nonEmpty(m.Org, "AWS organisation")), "", 1, "L", false, 0, "")
	f.Ln(2)
	f.SetFont(sans, "B", 28)
	d.color(colAccent)
	f.MultiCell(contentW, 12, "Audit evidence pack", "", "L", false)
	f.SetFont(sans, "", 15)
	d.color(colInk)
	f.MultiCell(contentW, 8, "Period "+m.Period.Label+": "+periodText(m.Period), "", "L", false)
	f.Ln(2)
	f.SetFont(sans, "", 11)
	f.MultiCell(contentW, 6, strings.Join(frameworkTitles(m.Frameworks), "\n"), "", "L", false)
	d.draw(colAccent)
	f.SetLineWidth(0.6)
	f.Line(marginL, f.GetY()+5, marginL+40, f.GetY()+5)

	f.SetY(130)
	accounts := "all accounts in the database (" + num(int64(len(m.Coverage.Accounts))) + ")"
	if len(m.Accounts) > 0 {
		accounts = strings.Join(m.Accounts, ", ")
	}
	var packs []string
	for _, p := range m.Run.Packs {
		packs = append(packs, p.Name+" "+p.Version)
	}
	db := m.Database.File
	if m.Database.DuckDBVersion != "" {
		db += " (DuckDB " + m.Database.DuckDBVersion + ")"
	}
	d.kv([][2]string{
		{"Organisation", nonEmpty(m.Org, "not named")},
		{"Period", periodText(m.Period) + " (UTC)"},
		{"Accounts in scope", accounts},
		{"Frameworks", strings.Join(frameworkTitles(m.Frameworks), "; ")},
		{"Generated", m.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC")},
		{"Tool", "auditlake " + m.ToolVersion},
		{"Evidence pack format", m.PackFormat},
		{"Database", db},
		{"Detection run", m.Run.ID + " (" + m.Run.Status + ")"},
		{"Detection packs", strings.Join(packs, ", ")},
	}, 45)

	f.SetY(232)
	d.fill(colZebra)
	f.Rect(marginL, 232, contentW, 34, "F")
	f.SetXY(marginL+5, 236)
	f.SetFont(sans, "B", 9)
	d.color(colAccent)
	f.CellFormat(contentW-10, 5, "How to rely on this pack", "", 1, "L", false, 0, "")
	f.SetX(marginL + 5)
	f.SetFont(sans, "", 8.5)
	d.color(colInk)
	f.SetLeftMargin(marginL + 5)
	f.MultiCell(contentW-10, 4.3, "This report and the CSV files beside it were produced automatically from the "+
		"organisation's AWS logs by auditlake. manifest.json lists the SHA-256 of every file in the pack, the "+
		"detection run and a digest of the ingest manifest; when manifest.sig is present it is an Ed25519 "+
		"signature over manifest.json. Run 'auditlake verify <pack folder> --pubkey <key>' to check that no "+
		"file was changed, added or removed.", "", "L", false)
	f.SetLeftMargin(marginL)
}

// periodText shows a period as its first and last day.
func periodText(p reports.Period) string {
	first := p.Start.UTC()
	last := p.LastDay().UTC()
	if first.Equal(first.Truncate(24*time.Hour)) && p.End.Equal(p.End.Truncate(24*time.Hour)) {
		return first.Format("2 January 2006") + " to " + last.Format("2 January 2006")
	}
	return first.Format("2006-01-02 15:04") + " to " + p.End.UTC().Format("2006-01-02 15:04") + " (end excluded)"
}
