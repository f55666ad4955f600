package evidence

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/auditlake/auditlake/reports"
)

var (
	monthRE   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	quarterRE = regexp.MustCompile(`^(\d{4})-[Qq]([1-4])$`)
)

// ParsePeriod parses a month ("2026-10") or a quarter ("2026-Q3") into a
// UTC period [first day, first day after).
func ParsePeriod(s string) (reports.Period, error) {
	if m := monthRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return reports.Period{}, fmt.Errorf("period %q: month %d is not 01 to 12", s, mo)
		}
		start := time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
		return reports.Period{Label: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0)}, nil
	}
	if m := quarterRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		start := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
		return reports.Period{Label: fmt.Sprintf("%d-Q%d", y, q), Start: start, End: start.AddDate(0, 3, 0)}, nil
	}
	return reports.Period{}, fmt.Errorf("period %q: want a month (2026-10) or a quarter (2026-Q3)", s)
}

// PeriodRange makes a period from two dates, both included:
// 2026-10-01 and 2026-10-15 give [2026-10-01, 2026-10-16).
func PeriodRange(from, to string) (reports.Period, error) {
	a, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return reports.Period{}, fmt.Errorf("--from %q: want a date like 2026-10-01", from)
	}
	b, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return reports.Period{}, fmt.Errorf("--to %q: want a date like 2026-10-31", to)
	}
	if b.Before(a) {
		return reports.Period{}, fmt.Errorf("--to %s is before --from %s", to, from)
	}
	return reports.Period{Label: from + "_" + to, Start: a, End: b.AddDate(0, 0, 1)}, nil
}

// Previous is the period of the same kind just before p: the previous
// month or quarter, or as many days just before a date range.
func Previous(p reports.Period) reports.Period {
	if monthRE.MatchString(p.Label) {
		start := p.Start.AddDate(0, -1, 0)
		return reports.Period{Label: start.Format("2006-01"), Start: start, End: p.Start}
	}
	if quarterRE.MatchString(p.Label) {
		start := p.Start.AddDate(0, -3, 0)
		return reports.Period{Label: fmt.Sprintf("%d-Q%d", start.Year(), (int(start.Month())-1)/3+1), Start: start, End: p.Start}
	}
	n := p.End.Sub(p.Start)
	start, end := p.Start.Add(-n), p.Start
	return reports.Period{Label: start.Format(time.DateOnly) + "_" + end.AddDate(0, 0, -1).Format(time.DateOnly), Start: start, End: end}
}
