package pdf

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/reports"
)

// allSources are the four log types auditlake ingests, by table.
var allSources = []struct{ table, title string }{
	{"cloudtrail", "CloudTrail"},
	{"config_items", "AWS Config history"},
	{"credential_report", "IAM credential reports"},
	{"vpc_flow", "VPC Flow Logs"},
}

// coverage is section 1: what the evidence covers and, stated plainly, what
// it does not.
func (d *doc) coverage() {
	m := d.m
	c := &m.Coverage
	d.heading("1  Scope and coverage", "Scope and coverage")
	d.para(fmt.Sprintf("The period runs from %s. The evidence comes from %s, %s and %s ingested into the auditlake database; "+
		"every figure below is computed from that database.",
		periodText(m.Period), plural(int64(len(c.Accounts)), "AWS account", "AWS accounts"),
		plural(int64(len(c.Regions)), "region", "regions"), plural(int64(len(c.Sources)), "log source", "log sources")))
	d.kv([][2]string{
		{"Accounts", nonEmpty(strings.Join(c.Accounts, ", "), "none")},
		{"Regions", nonEmpty(strings.Join(c.Regions, ", "), "none")},
		{"Sources", nonEmpty(strings.Join(c.Sources, ", "), "none")},
	}, 28)
	d.f.Ln(2)

	d.subheading("Days covered per source", 30, true)
	days := m.Period.Days()
	var rows [][]string
	for _, s := range allSources {
		var streams, failed int64
		var objects, records int64
		minDays, accounts := days, map[string]bool{}
		for i := range c.Streams {
			st := &c.Streams[i]
			if st.Source != s.table {
				continue
			}
			streams++
			objects += st.Objects
			records += st.Rows
			failed += st.Failed
			accounts[st.Account] = true
			minDays = min(minDays, st.Covered())
		}
		covered := "not ingested"
		if streams > 0 {
			covered = fmt.Sprintf("%d of %d (every stream)", minDays, days)
			if minDays < days {
				covered = fmt.Sprintf("%d of %d (worst stream)", minDays, days)
			}
			if s.table == "credential_report" {
				covered = "periodic reports"
			}
		}
		rows = append(rows, []string{s.title, num(int64(len(accounts))), num(streams), covered, num(objects), num(records), num(failed)})
	}
	d.table([]col{
		{head: "Source", w: 0.21, align: "L"},
		{head: "Accounts", w: 0.11, align: "R"},
		{head: "Streams", w: 0.1, align: "R"},
		{head: "Days with data", w: 0.2, align: "L"},
		{head: "Objects", w: 0.11, align: "R"},
		{head: "Records", w: 0.14, align: "R"},
		{head: "Failed objects", w: 0.13, align: "R"},
	}, rows, func(r, ci int) (*rgb, bool) {
		if ci == 3 && rows[r][3] == "not ingested" {
			c := colGap
			return &c, true
		}
		if ci == 6 && rows[r][6] != "0" {
			c := colGap
			return &c, true
		}
		return nil, ci == 0
	})

	d.subheading("What this evidence does not cover", 30, true)
	gaps := d.gapStatements()
	if len(gaps) == 0 {
		d.para("Every ingested stream has data on every day of the period, no object failed to load, and every detection ran on data.")
	}
	for _, g := range gaps {
		d.bullet(g)
	}
	d.note("Scope limits that always apply: activity outside the period, in accounts or regions whose logs were not ingested, " +
		"and in services that do not write to the sources above is not assessed. Detections find what their SQL describes; " +
		"the appendix holds every query as it ran.")

	d.subheading("Streams", 30, true)
	rows = rows[:0]
	var gapCol []bool
	for i := range c.Streams {
		st := &c.Streams[i]
		noData, failed := st.Missing()
		var g []string
		if st.Periodic {
			one, many := "report day", "report days"
			if st.Source == "config_items" {
				// AWS Config delivers history only when resources change.
				one, many = "day with changes", "days with changes"
			}
			g = append(g, fmt.Sprintf("%s in the period", plural(int64(st.Covered()), one, many)))
		} else if len(noData) > 0 {
			g = append(g, "no data "+dayRanges(noData))
		}
		if len(failed) > 0 {
			g = append(g, "failed objects "+dayRanges(failed))
		}
		region := nonEmpty(st.Region, "-")
		rows = append(rows, []string{st.Source, st.Account, region, fmt.Sprintf("%d/%d", st.Covered(), len(st.Days)),
			num(st.Objects), num(st.Rows), nonEmpty(strings.Join(g, "; "), "none")})
		gapCol = append(gapCol, !st.Periodic && len(noData)+len(failed) > 0 || len(failed) > 0)
	}
	if len(rows) == 0 {
		d.para("No data was ingested for the period.")
		return
	}
	d.table([]col{
		{head: "Source", w: 0.14, align: "L"},
		{head: "Account", w: 0.13, align: "L"},
		{head: "Region", w: 0.14, align: "L"},
		{head: "Days", w: 0.07, align: "R"},
		{head: "Objects", w: 0.09, align: "R"},
		{head: "Records", w: 0.11, align: "R"},
		{head: "Gaps", w: 0.32, align: "L", wrap: 3},
	}, rows, func(r, ci int) (*rgb, bool) {
		if ci == 6 && gapCol[r] {
			c := colGap
			return &c, false
		}
		return nil, false
	})
	d.note("Full detail per stream and day: csv/coverage.csv. Failed objects: csv/failed_objects.csv.")
}

// gapStatements lists, in plain words, what the evidence does not cover.
func (d *doc) gapStatements() []string {
	m := d.m
	c := &m.Coverage
	var out []string
	for _, s := range allSources {
		if !slices.Contains(c.Sources, s.table) {
			out = append(out, s.title+" ("+s.table+") was not ingested for this period: no evidence comes from it, and detections reading it report no data.")
		}
	}
	for _, src := range allSources {
		var lines []string
		var worst *reports.Stream
		var worstN, streams int
		for i := range c.Streams {
			st := &c.Streams[i]
			if st.Source != src.table || st.Periodic {
				continue
			}
			streams++
			noData, _ := st.Missing()
			if len(noData) == 0 {
				continue
			}
			if len(noData) > worstN {
				worst, worstN = st, len(noData)
			}
			lines = append(lines, fmt.Sprintf("%s, account %s, %s: no data on %s (%s).", src.table, st.Account, nonEmpty(st.Region, "no region"),
				dayRanges(noData), plural(int64(len(noData)), "day", "days")))
		}
		if len(lines) <= 4 {
			out = append(out, lines...)
			continue
		}
		noData, _ := worst.Missing()
		out = append(out, fmt.Sprintf("%s: %d of %d streams (account and region) have days without data; the worst, account %s %s, "+
			"has none on %s (%s). The Streams table below lists every gap.", src.title, len(lines), streams, worst.Account,
			nonEmpty(worst.Region, ""), dayRanges(noData), plural(int64(len(noData)), "day", "days")))
	}
	if c.FailedTotal > 0 {
		out = append(out, fmt.Sprintf("%s in the period could not be loaded; their content is not in the evidence (see csv/failed_objects.csv).",
			plural(c.FailedTotal, "object", "objects")))
	}
	for _, det := range m.Detections {
		switch det.Status {
		case "no_data":
			out = append(out, fmt.Sprintf("Detection %s had no data (%s) and gives no evidence.", det.ID, strings.Join(det.Sources, ", ")))
		case "error":
			out = append(out, fmt.Sprintf("Detection %s failed to run: %s", det.ID, truncRunes(det.Error, 200)))
		}
	}
	return out
}

// dayRanges compresses sorted days: "1–3 Oct, 7 Oct".
func dayRanges(days []time.Time) string {
	var out []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1].Sub(days[j]) == 24*time.Hour {
			j++
		}
		if j == i {
			out = append(out, days[i].Format("2006-01-02"))
		} else {
			out = append(out, days[i].Format("2006-01-02")+" to "+days[j].Format("2006-01-02"))
		}
		i = j + 1
	}
	return strings.Join(out, ", ")
}
