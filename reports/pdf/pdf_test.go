package pdf

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/auditlake/auditlake/reports"
)

func TestFitNeverOverflows(t *testing.T) {
	d := newDoc(&reports.Model{GeneratedAt: time.Unix(0, 0)}, nil)
	f := d.f
	f.SetFont(mono, "", 7)
	arn := "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef"
	for _, w := range []float64{3, 10, 25, 60, 400} {
		for _, cut := range []func(*fpdf.Fpdf, string, float64) string{fit, fitMiddle} {
			got := cut(f, arn, w)
			if f.GetStringWidth(got) > w+0.01 && len([]rune(got)) > 1 {
				t.Errorf("width %.0f: %q is %.1f mm wide", w, got, f.GetStringWidth(got))
			}
			if w == 400 && got != arn {
				t.Errorf("width 400: %q was cut", got)
			}
		}
	}
	got := fitMiddle(f, arn, 40)
	if !strings.HasPrefix(got, "arn:aws") || !strings.HasSuffix(got, "def") || !strings.Contains(got, "…") {
		t.Errorf("middle cut %q should keep both ends", got)
	}
	lines := wrapCell(f, "one two three four five six seven eight nine ten eleven twelve", 15, col{wrap: 2})
	if len(lines) != 2 || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("wrap to 2 lines: %q", lines)
	}
}

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct{ hi, top, step int64 }{
		{0, 1, 1}, {1, 1, 1}, {7, 8, 2}, {95, 100, 50}, {2990, 3000, 1000}, {12345, 15000, 5000},
	} {
		top, step := niceScale(tc.hi)
		if top < tc.hi || top%step != 0 || top/step > 6 {
			t.Errorf("niceScale(%d) = %d, %d", tc.hi, top, step)
		}
		if top != tc.top || step != tc.step {
			t.Errorf("niceScale(%d) = %d, %d, want %d, %d", tc.hi, top, step, tc.top, tc.step)
		}
	}
}

// TestRenderEmpty renders a model with no findings, no data and no
// previous period: every section must still come out.
func TestRenderEmpty(t *testing.T) {
	m := &reports.Model{
		Period:      reports.Period{Label: "2026-10", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		Frameworks:  []string{"soc2"},
		GeneratedAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		Controls:    map[string][]reports.Control{"soc2": {{Framework: "soc2", ID: "CC6.1", Title: "Logical access", Responsibility: "identity_access"}}},
	}
	var b bytes.Buffer
	if err := Render(m, &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) || b.Len() < 10000 {
		t.Fatalf("not a PDF: %d bytes", b.Len())
	}
	if !bytes.Contains(b.Bytes(), []byte("/CreationDate (D:20261102000000")) {
		t.Error("creation date is not the generation time")
	}
}
