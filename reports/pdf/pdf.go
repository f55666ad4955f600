package pdf

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/auditlake/auditlake/reports"
)

// Page geometry (mm, A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	marginL      = 20.0
	marginR      = 20.0
	marginT      = 24.0
	marginB      = 20.0
	contentW     = pageW - marginL - marginR
)

// Font families registered in every document.
const (
	sans = "go"
	mono = "gomono"
)

type rgb struct{ r, g, b int }

// A restrained palette: dark ink, one accent, muted status colours.
var (
	colInk      = rgb{33, 37, 41}
	colMuted    = rgb{108, 117, 125}
	colAccent   = rgb{26, 54, 93}
	colRule     = rgb{200, 206, 212}
	colZebra    = rgb{246, 247, 249}
	colHeadFill = rgb{228, 233, 240}
	colGap      = rgb{214, 92, 72}
)

var severityCol = map[string]rgb{
	"critical": {122, 16, 38},
	"high":     {181, 52, 40},
	"medium":   {199, 128, 12},
	"low":      {46, 100, 150},
	"info":     {120, 128, 136},
}

var statusCol = map[string]rgb{
	reports.StatusClean:      {39, 118, 66},
	reports.StatusFindings:   {181, 52, 40},
	reports.StatusNoEvidence: {120, 128, 136},
	reports.StatusError:      {199, 128, 12},
	reports.StatusNotCovered: {120, 128, 136},
	"pass":                   {39, 118, 66},
	"fail":                   {181, 52, 40},
	"no_data":                {120, 128, 136},
	"error":                  {199, 128, 12},
}

// Render writes the report for m to w.
func Render(m *reports.Model, w io.Writer) error {
	first := newDoc(m, nil)
	if err := first.render(); err != nil {
		return err
	}
	second := newDoc(m, first.toc)
	if err := second.render(); err != nil {
		return err
	}
	return second.f.Output(w)
}

// tocEntry is one line of the table of contents.
type tocEntry struct {
	title string
	level int
	page  int
	link  int
}

type doc struct {
	m       *reports.Model
	f       *fpdf.Fpdf
	toc     []tocEntry // recorded in this pass
	prevTOC []tocEntry // from the first pass: the page numbers to print
	section string     // running title shown in the page header
}

func newDoc(m *reports.Model, prev []tocEntry) *doc {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(marginL, marginT, marginR)
	f.SetAutoPageBreak(true, marginB)
	f.AddUTF8FontFromBytes(sans, "", goregular.TTF)
	f.AddUTF8FontFromBytes(sans, "B", gobold.TTF)
	f.AddUTF8FontFromBytes(sans, "I", goitalic.TTF)
	f.AddUTF8FontFromBytes(mono, "", gomono.TTF)
	f.SetCreationDate(m.GeneratedAt)
	f.SetModificationDate(m.GeneratedAt)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	title := "Audit evidence pack " + m.Period.Label
	if m.Org != "" {
		title = m.Org + ": " + title
	}
	f.SetTitle(title, true)
	f.SetAuthor(nonEmpty(m.Org, "auditlake"), true)
	f.SetSubject("Evidence for "+strings.Join(frameworkTitles(m.Frameworks), ", "), true)
	f.SetCreator("auditlake "+m.ToolVersion, true)
	f.SetProducer("auditlake "+m.ToolVersion+" (go-pdf/fpdf)", true)
	f.AliasNbPages("{nb}")
	d := &doc{m: m, f: f, prevTOC: prev}
	f.SetHeaderFuncMode(d.header, true)
	f.SetFooterFunc(d.footer)
	return d
}

func (d *doc) render() error {
	d.cover()
	d.contents()
	d.coverage()
	d.summary()
	d.matrix()
	for _, fw := range d.m.Frameworks {
		d.controls(fw)
	}
	d.appendix()
	return d.f.Error()
}

func (d *doc) header() {
	f := d.f
	if f.PageNo() == 1 {
		return
	}
	f.SetFont(sans, "", 7.5)
	d.color(colMuted)
	f.SetXY(marginL, 10)
	f.CellFormat(contentW/2, 4, fit(f, nonEmpty(d.m.Org, "Audit evidence pack"), contentW/2), "", 0, "L", false, 0, "")
	f.SetXY(marginL+contentW/2, 10)
	right := d.m.Period.Label + " · " + strings.Join(frameworkShort(d.m.Frameworks), ", ")
	if d.section != "" {
		right = d.section + " · " + right
	}
	f.CellFormat(contentW/2, 4, fit(f, right, contentW/2), "", 0, "R", false, 0, "")
	d.draw(colRule)
	f.SetLineWidth(0.2)
	f.Line(marginL, 15, pageW-marginR, 15)
	f.SetXY(marginL, marginT)
	d.color(colInk)
}

func (d *doc) footer() {
	f := d.f
	if f.PageNo() == 1 {
		return
	}
	f.SetFont(sans, "", 7.5)
	d.color(colMuted)
	f.SetXY(marginL, pageH-12)
	f.CellFormat(contentW/2, 4, "auditlake "+d.m.ToolVersion+" · evidence pack "+d.m.Period.Label, "", 0, "L", false, 0, "")
	f.SetXY(marginL+contentW/2, pageH-12)
	f.CellFormat(contentW/2, 4, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
	d.color(colInk)
}

func (d *doc) color(c rgb) { d.f.SetTextColor(c.r, c.g, c.b) }
func (d *doc) fill(c rgb)  { d.f.SetFillColor(c.r, c.g, c.b) }
func (d *doc) draw(c rgb)  { d.f.SetDrawColor(c.r, c.g, c.b) }

// heading starts a numbered section on a new page and records it in the
// table of contents and the PDF outline.
func (d *doc) heading(title, running string) {
	d.section = running
	d.f.AddPage()
	d.entry(title, 0)
	d.f.SetFont(sans, "B", 16)
	d.color(colAccent)
	d.f.MultiCell(contentW, 8, title, "", "L", false)
	d.draw(colAccent)
	d.f.SetLineWidth(0.5)
	y := d.f.GetY() + 1
	d.f.Line(marginL, y, marginL+30, y)
	d.f.SetY(y + 5)
	d.color(colInk)
}

// subheading starts a subsection, on a new page when less than need mm
// remain.
func (d *doc) subheading(title string, need float64, toc bool) {
	d.ensure(need + 10)
	if d.f.GetY() > marginT+1 {
		d.f.Ln(3)
	}
	if toc {
		d.entry(title, 1)
	}
	d.f.SetFont(sans, "B", 11.5)
	d.color(colAccent)
	d.f.MultiCell(contentW, 6, title, "", "L", false)
	d.f.Ln(1)
	d.color(colInk)
}

func (d *doc) entry(title string, level int) {
	link := d.f.AddLink()
	d.f.SetLink(link, d.f.GetY(), -1)
	d.f.Bookmark(title, level, d.f.GetY())
	d.toc = append(d.toc, tocEntry{title: title, level: level, page: d.f.PageNo(), link: link})
}

// ensure starts a new page unless h mm remain on this one.
func (d *doc) ensure(h float64) {
	if d.f.GetY()+h > pageH-marginB {
		d.f.AddPage()
	}
}

// para writes a wrapped paragraph.
func (d *doc) para(text string) {
	d.f.SetFont(sans, "", 9.5)
	d.color(colInk)
	d.f.MultiCell(contentW, 4.8, text, "", "L", false)
	d.f.Ln(1.5)
}

// note writes a small muted paragraph.
func (d *doc) note(text string) {
	d.f.SetFont(sans, "I", 8)
	d.color(colMuted)
	d.f.MultiCell(contentW, 4, text, "", "L", false)
	d.f.Ln(1)
	d.color(colInk)
}

// bullet writes a bulleted, wrapped line.
func (d *doc) bullet(text string) {
	f := d.f
	f.SetFont(sans, "", 9.5)
	d.color(colInk)
	x := f.GetX()
	f.CellFormat(5, 4.8, "•", "", 0, "C", false, 0, "")
	f.SetLeftMargin(marginL + 5)
	f.MultiCell(contentW-5, 4.8, text, "", "L", false)
	f.SetLeftMargin(marginL)
	f.SetX(x)
	f.Ln(0.8)
}

// kv writes aligned label: value lines.
func (d *doc) kv(pairs [][2]string, labelW float64) {
	f := d.f
	for _, p := range pairs {
		f.SetFont(sans, "B", 9)
		d.color(colMuted)
		y := f.GetY()
		f.CellFormat(labelW, 5, p[0], "", 0, "L", false, 0, "")
		f.SetFont(sans, "", 9.5)
		d.color(colInk)
		f.SetLeftMargin(marginL + labelW)
		f.SetXY(marginL+labelW, y)
		f.MultiCell(contentW-labelW, 5, p[1], "", "L", false)
		f.SetLeftMargin(marginL)
		f.SetX(marginL)
	}
}

// col describes a table column.
type col struct {
	head  string
	w     float64 // fraction of the content width
	align string  // L, C or R
	wrap  int     // max lines; 0 or 1: one line, truncated with an ellipsis
	mono  bool
	mid   bool // truncate in the middle (ARNs, keys), keeping both ends
}

// cellStyle lets a caller colour or embolden one cell.
type cellStyle func(row, col int) (c *rgb, bold bool)

const (
	tableFont = 7.8
	tableLine = 3.6
	cellPadX  = 1.4
	cellPadY  = 1.1
)

// table draws rows with a header that repeats on every page the table
// spans. No text leaves its cell: long values wrap up to the column's line
// limit and are cut with an ellipsis beyond it (the CSV files hold them in
// full).
func (d *doc) table(cols []col, rows [][]string, style cellStyle) {
	f := d.f
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = c.w * contentW
	}
	drawHeader := func() {
		f.SetFont(sans, "B", tableFont)
		lines := 1
		for i, c := range cols {
			lines = max(lines, len(headLines(f, c.head, widths[i]-2*cellPadX)))
		}
		h := float64(lines)*tableLine + 2*cellPadY
		y := f.GetY()
		d.fill(colHeadFill)
		f.Rect(marginL, y, contentW, h, "F")
		x := marginL
		d.color(colAccent)
		for i, c := range cols {
			for li, s := range headLines(f, c.head, widths[i]-2*cellPadX) {
				f.SetXY(x+cellPadX, y+cellPadY+float64(li)*tableLine)
				f.CellFormat(widths[i]-2*cellPadX, tableLine, s, "", 0, c.align, false, 0, "")
			}
			x += widths[i]
		}
		d.draw(colAccent)
		f.SetLineWidth(0.3)
		f.Line(marginL, y+h, marginL+contentW, y+h)
		f.SetXY(marginL, y+h)
		d.color(colInk)
	}
	d.ensure(20)
	drawHeader()
	cells := make([][]string, len(cols))
	for ri, row := range rows {
		lines := 1
		for i, c := range cols {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			if c.mono {
				f.SetFont(mono, "", tableFont-0.6)
			} else {
				f.SetFont(sans, "", tableFont)
			}
			cells[i] = wrapCell(f, v, widths[i]-2*cellPadX, c)
			lines = max(lines, len(cells[i]))
		}
		h := float64(lines)*tableLine + 2*cellPadY
		if f.GetY()+h > pageH-marginB {
			f.AddPage()
			drawHeader()
		}
		y := f.GetY()
		if ri%2 == 1 {
			d.fill(colZebra)
			f.Rect(marginL, y, contentW, h, "F")
		}
		x := marginL
		for i, c := range cols {
			color, bold := (*rgb)(nil), false
			if style != nil {
				color, bold = style(ri, i)
			}
			switch {
			case c.mono:
				f.SetFont(mono, "", tableFont-0.6)
			case bold:
				f.SetFont(sans, "B", tableFont)
			default:
				f.SetFont(sans, "", tableFont)
			}
			if color != nil {
				d.color(*color)
			} else {
				d.color(colInk)
			}
			for li, s := range cells[i] {
				f.SetXY(x+cellPadX, y+cellPadY+float64(li)*tableLine)
				f.CellFormat(widths[i]-2*cellPadX, tableLine, s, "", 0, c.align, false, 0, "")
			}
			x += widths[i]
		}
		d.draw(colRule)
		f.SetLineWidth(0.1)
		f.Line(marginL, y+h, marginL+contentW, y+h)
		f.SetXY(marginL, y+h)
	}
	d.color(colInk)
	f.Ln(3)
}

// wrapCell splits v into the lines of a cell w mm wide, at most c.wrap
// lines, the last one cut with an ellipsis when v does not fit.
func wrapCell(f *fpdf.Fpdf, v string, w float64, c col) []string {
	cut := fit
	if c.mid {
		cut = fitMiddle
	}
	if c.wrap <= 1 {
		return []string{cut(f, strings.ReplaceAll(v, "\n", " "), w)}
	}
	var lines []string
	for _, para := range strings.Split(v, "\n") {
		if c.mid {
			// Identifiers are not split into words: one per line.
			lines = append(lines, para)
			continue
		}
		lines = append(lines, f.SplitText(para, w)...)
	}
	// SplitText does not break inside a word: cut any line still too wide.
	for i, l := range lines {
		lines[i] = cut(f, l, w)
	}
	if len(lines) > c.wrap {
		rest := strings.Join(lines[c.wrap-1:], " ")
		lines = append(lines[:c.wrap-1], fit(f, rest, w))
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

// headLines splits a column heading at spaces only, so that a narrow
// column never shows half a word.
func headLines(f *fpdf.Fpdf, head string, w float64) []string {
	var lines []string
	for _, word := range strings.Fields(head) {
		if n := len(lines); n > 0 && f.GetStringWidth(lines[n-1]+" "+word) <= w {
			lines[n-1] += " " + word
			continue
		}
		lines = append(lines, fit(f, word, w))
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

// fit cuts s to w mm with a trailing ellipsis.
func fit(f *fpdf.Fpdf, s string, w float64) string {
	if f.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	lo, hi := 0, len(r)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if f.GetStringWidth(string(r[:mid])+"…") <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo]) + "…"
}

// fitMiddle cuts s to w mm by replacing its middle with an ellipsis, so
// that an ARN keeps its service and its resource name.
func fitMiddle(f *fpdf.Fpdf, s string, w float64) string {
	if f.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	n := 0
	for k := len(r); k > 0; k-- {
		head := (k + 1) / 2
		tail := k - head
		if f.GetStringWidth(string(r[:head])+"…"+string(r[len(r)-tail:])) <= w {
			n = k
			break
		}
	}
	head := (n + 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-head):])
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func frameworkTitles(fws []string) []string {
	var out []string
	for _, fw := range fws {
		out = append(out, reports.FrameworkTitle(fw))
	}
	return out
}

func frameworkShort(fws []string) []string {
	var out []string
	for _, fw := range fws {
		switch fw {
		case "soc2":
			out = append(out, "SOC 2")
		case "iso27001":
			out = append(out, "ISO 27001")
		case "cis_aws_v3":
			out = append(out, "CIS AWS v3.0")
		default:
			out = append(out, fw)
		}
	}
	return out
}

// num formats n with thousands separators.
func num(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + num(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return num(n) + " " + many
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
