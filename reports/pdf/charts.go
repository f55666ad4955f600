package pdf

// Charts are drawn with fpdf's own vector primitives rather than through
// gonum.org/v1/plot. plot's PDF backend (vgpdf) targets codeberg.org/go-pdf/fpdf
// and cannot draw into our document; the ways round it were a vg.Canvas
// adapter onto our *fpdf.Fpdf, or PNGs from vgimg. Measured here (2 cores,
// under load): a 31-day bar chart through plot and vgimg at 150 dpi took
// 15-39 ms and gave a 9.4 KB PNG, a raster that blurs when zoomed or
// printed; the same chart drawn directly takes 50-95 µs and adds about
// 1.1 KB of vector drawing. An adapter would have been vector too, but
// would also have had to map plot's fonts onto our embedded Go fonts. The
// three charts we need (horizontal bars, daily columns with gaps, daily
// columns by severity) are ~200 lines here, in the report's own fonts.

import (
	"fmt"
	"math"
	"time"

	"github.com/auditlake/auditlake/reports"
)

// barsH draws a horizontal bar chart: one labelled bar per item.
func (d *doc) barsH(title string, labels []string, values []int64, colors []rgb) {
	f := d.f
	const barH, gap, labelW = 4.2, 1.6, 62.0
	h := float64(len(labels))*(barH+gap) + 14
	d.ensure(h)
	d.chartTitle(title)
	var hi int64 = 1
	for _, v := range values {
		hi = max(hi, v)
	}
	x0 := marginL + labelW
	w := contentW - labelW - 18
	y := f.GetY() + 1
	for i, l := range labels {
		f.SetFont(sans, "", 7.5)
		d.color(colInk)
		f.SetXY(marginL, y)
		f.CellFormat(labelW-2, barH, fit(f, l, labelW-3), "", 0, "R", false, 0, "")
		bw := w * float64(values[i]) / float64(hi)
		d.fill(colors[i])
		if values[i] > 0 {
			f.Rect(x0, y, math.Max(bw, 0.4), barH, "F")
		}
		d.color(colMuted)
		f.SetXY(x0+bw+1.5, y)
		f.CellFormat(16, barH, num(values[i]), "", 0, "L", false, 0, "")
		y += barH + gap
	}
	d.draw(colRule)
	f.SetLineWidth(0.2)
	f.Line(x0, f.GetY()+0.5, x0, y-gap+0.5)
	f.SetXY(marginL, y+3)
	d.color(colInk)
}

// columns draws one column per day. Days marked Missing are shaded and
// marked below the axis, so that a gap never reads as a quiet day.
func (d *doc) columns(title string, days []reports.DayCount, color rgb, missingLabel string) {
	f := d.f
	const plotH = 38.0
	d.ensure(plotH + 24)
	d.chartTitle(title)
	if len(days) == 0 {
		d.note("No days in the period.")
		return
	}
	var hi int64
	for _, c := range days {
		hi = max(hi, c.Count)
	}
	top, step := niceScale(hi)
	const axisW = 14.0
	x0 := marginL + axisW
	w := contentW - axisW
	y0 := f.GetY() + 2
	yBase := y0 + plotH
	slot := w / float64(len(days))
	bw := slot * 0.72

	// grid and y labels
	f.SetFont(sans, "", 6.5)
	for v := int64(0); v <= top; v += step {
		y := yBase - plotH*float64(v)/float64(top)
		d.draw(colRule)
		f.SetLineWidth(0.1)
		f.Line(x0, y, x0+w, y)
		d.color(colMuted)
		f.SetXY(marginL, y-1.5)
		f.CellFormat(axisW-1.5, 3, short(v), "", 0, "R", false, 0, "")
	}
	anyMissing := false
	for i, c := range days {
		x := x0 + float64(i)*slot + (slot-bw)/2
		if c.Missing {
			anyMissing = true
			d.fill(rgb{250, 228, 224})
			f.Rect(x0+float64(i)*slot, y0, slot, plotH, "F")
			d.fill(colGap)
			f.Rect(x, yBase+0.6, bw, 1.2, "F")
			continue
		}
		if c.Count > 0 {
			bh := plotH * float64(c.Count) / float64(top)
			d.fill(color)
			f.Rect(x, yBase-bh, bw, math.Max(bh, 0.3), "F")
		}
	}
	d.draw(colMuted)
	f.SetLineWidth(0.25)
	f.Line(x0, yBase, x0+w, yBase)
	// x labels: about eight, always the first and the last day
	every := max(1, (len(days)+7)/8)
	f.SetFont(sans, "", 6.5)
	d.color(colMuted)
	for i, c := range days {
		if i%every != 0 && i != len(days)-1 {
			continue
		}
		if i != len(days)-1 && len(days)-1-i < every && i != 0 {
			continue
		}
		x := x0 + float64(i)*slot + slot/2
		f.SetXY(x-8, yBase+2.2)
		f.CellFormat(16, 3, c.Day.Format("2 Jan"), "", 0, "C", false, 0, "")
	}
	f.SetXY(marginL, yBase+6)
	if anyMissing {
		d.fill(colGap)
		f.Rect(x0, yBase+7.2, 3, 1.2, "F")
		f.SetXY(x0+4, yBase+6)
		f.SetFont(sans, "", 7)
		f.CellFormat(w-4, 3.6, missingLabel, "", 1, "L", false, 0, "")
	}
	f.SetXY(marginL, yBase+11)
	d.color(colInk)
}

// stacked draws one column per day, stacked by severity.
func (d *doc) stacked(title string, days []time.Time, bySev map[string][]int64) {
	f := d.f
	const plotH = 32.0
	d.ensure(plotH + 24)
	d.chartTitle(title)
	var hi int64
	for i := range days {
		var t int64
		for _, s := range reports.Severities {
			t += bySev[s][i]
		}
		hi = max(hi, t)
	}
	top, step := niceScale(hi)
	const axisW = 14.0
	x0 := marginL + axisW
	w := contentW - axisW
	y0 := f.GetY() + 2
	yBase := y0 + plotH
	slot := w / float64(max(1, len(days)))
	bw := slot * 0.72
	f.SetFont(sans, "", 6.5)
	for v := int64(0); v <= top; v += step {
		y := yBase - plotH*float64(v)/float64(top)
		d.draw(colRule)
		f.SetLineWidth(0.1)
		f.Line(x0, y, x0+w, y)
		d.color(colMuted)
		f.SetXY(marginL, y-1.5)
		f.CellFormat(axisW-1.5, 3, short(v), "", 0, "R", false, 0, "")
	}
	for i := range days {
		x := x0 + float64(i)*slot + (slot-bw)/2
		y := yBase
		for _, s := range reports.Severities {
			v := bySev[s][i]
			if v == 0 {
				continue
			}
			bh := plotH * float64(v) / float64(top)
			d.fill(severityCol[s])
			f.Rect(x, y-bh, bw, bh, "F")
			y -= bh
		}
	}
	d.draw(colMuted)
	f.SetLineWidth(0.25)
	f.Line(x0, yBase, x0+w, yBase)
	every := max(1, (len(days)+7)/8)
	d.color(colMuted)
	for i, day := range days {
		if i%every != 0 {
			continue
		}
		x := x0 + float64(i)*slot + slot/2
		f.SetXY(x-8, yBase+2.2)
		f.CellFormat(16, 3, day.Format("2 Jan"), "", 0, "C", false, 0, "")
	}
	// legend
	lx := x0
	f.SetFont(sans, "", 7)
	for _, s := range reports.Severities {
		d.fill(severityCol[s])
		f.Rect(lx, yBase+7.3, 3, 2.2, "F")
		f.SetXY(lx+4, yBase+6.6)
		f.CellFormat(18, 3.6, s, "", 0, "L", false, 0, "")
		lx += 22
	}
	f.SetXY(marginL, yBase+13)
	d.color(colInk)
}

func (d *doc) chartTitle(title string) {
	d.f.SetFont(sans, "B", 9)
	d.color(colInk)
	d.f.CellFormat(contentW, 5, title, "", 1, "L", false, 0, "")
}

// niceScale returns an axis maximum >= hi and a step of 1, 2 or 5 times a
// power of ten giving three to six gridlines.
func niceScale(hi int64) (top, step int64) {
	if hi <= 0 {
		return 1, 1
	}
	raw := float64(hi) / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := m * mag; s >= raw {
			step = int64(math.Max(1, math.Round(s)))
			break
		}
	}
	top = (hi + step - 1) / step * step
	return top, step
}

// short formats an axis value: 950, 12k, 3.4M.
func short(v int64) string {
	switch {
	case v >= 1_000_000:
		return trimZero(fmt.Sprintf("%.1f", float64(v)/1e6)) + "M"
	case v >= 10_000:
		return fmt.Sprintf("%dk", v/1000)
	case v >= 1000:
		return trimZero(fmt.Sprintf("%.1f", float64(v)/1e3)) + "k"
	}
	return fmt.Sprint(v)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
