package pdf

import "fmt"

// contents is page 2. Its page numbers come from the first rendering pass;
// it must stay one page so that nothing after it moves.
func (d *doc) contents() {
	f := d.f
	d.section = "Contents"
	f.AddPage()
	f.SetFont(sans, "B", 16)
	d.color(colAccent)
	f.CellFormat(contentW, 8, "Contents", "", 1, "L", false, 0, "")
	f.Ln(4)
	for _, e := range d.prevTOC {
		if f.GetY() > pageH-marginB-6 {
			break // one page only; the PDF outline lists everything
		}
		indent := float64(e.level) * 6
		if e.level == 0 {
			f.Ln(1.5)
			f.SetFont(sans, "B", 10)
			d.color(colInk)
		} else {
			f.SetFont(sans, "", 9)
			d.color(colInk)
		}
		page := fmt.Sprint(e.page)
		pw := f.GetStringWidth(page)
		title := fit(f, e.title, contentW-indent-pw-12)
		tw := f.GetStringWidth(title)
		y := f.GetY()
		f.SetXY(marginL+indent, y)
		f.CellFormat(tw+1, 5.2, title, "", 0, "L", false, e.link, "")
		// dot leader
		d.color(colRule)
		dots := ""
		for f.GetStringWidth(dots+" .") < contentW-indent-tw-pw-4 {
			dots += " ."
		}
		f.CellFormat(contentW-indent-tw-pw-2, 5.2, dots, "", 0, "R", false, 0, "")
		d.color(colInk)
		f.CellFormat(pw+1, 5.2, page, "", 1, "R", false, e.link, "")
	}
}
