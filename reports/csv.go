package reports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CSVFile is one CSV file of the pack.
type CSVFile struct {
	Path string // slash-separated, relative to the pack root
	Data []byte
}

// CSVs renders every CSV file of the pack, in path order: csv/findings.csv
// (every finding), csv/controls.csv (control, status, count),
// csv/coverage.csv (one row per stream and day), csv/detections.csv,
// csv/failed_objects.csv and csv/<framework>/<control>.csv (the findings
// behind each control of the selected frameworks, a header only when there
// is none). Times are ISO 8601 UTC; lists are joined with a space (event ids
// and S3 keys contain none).
func (m *Model) CSVs() ([]CSVFile, error) {
	var out []CSVFile
	add := func(path string, header []string, rows [][]string) error {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.Write(header); err != nil {
			return err
		}
		if err := w.WriteAll(rows); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, CSVFile{Path: path, Data: b.Bytes()})
		return nil
	}

	all := make([][]string, 0, len(m.Findings))
	for _, f := range m.Findings {
		all = append(all, m.findingRow(f, true))
	}
	if err := add("csv/findings.csv", findingHeader(true), all); err != nil {
		return nil, err
	}

	var controls [][]string
	for _, fw := range m.Frameworks {
		for _, cr := range m.ControlResults(fw) {
			var ids []string
			for _, d := range cr.Detections {
				ids = append(ids, d.ID)
			}
			controls = append(controls, []string{fw, cr.Control.ID, cr.Control.Title, cr.Control.Responsibility,
				cr.Status, strconv.FormatInt(cr.Findings, 10), strings.Join(ids, " ")})
			var rows [][]string
			for _, d := range cr.Detections {
				for _, f := range m.FindingsOf(d.ID) {
					rows = append(rows, m.findingRow(f, false))
				}
			}
			if err := add("csv/"+fw+"/"+FileSafe(cr.Control.ID)+".csv", findingHeader(false), rows); err != nil {
				return nil, err
			}
		}
	}
	if err := add("csv/controls.csv", []string{"framework", "control_id", "title", "responsibility", "status", "finding_count", "detections"}, controls); err != nil {
		return nil, err
	}

	var cov [][]string
	for _, s := range m.Coverage.Streams {
		for _, d := range s.Days {
			state := d.State
			if s.Periodic && state == "no data" {
				state = "no report (periodic)"
				if s.Source == "config_items" {
					state = "no change delivered"
				}
			}
			cov = append(cov, []string{s.Source, s.Account, s.Region, d.Date.Format(time.DateOnly), state,
				strconv.FormatInt(d.Objects, 10), strconv.FormatInt(d.Failed, 10), strconv.FormatInt(d.Rows, 10)})
		}
	}
	if err := add("csv/coverage.csv", []string{"source", "account_id", "region", "day", "state", "objects_loaded", "objects_failed", "rows"}, cov); err != nil {
		return nil, err
	}

	var dets [][]string
	for _, d := range m.Detections {
		var ctl []string
		for _, fw := range m.Frameworks {
			for _, id := range d.Controls[fw] {
				ctl = append(ctl, fw+":"+id)
			}
		}
		dets = append(dets, []string{d.ID, d.Pack, d.PackVersion, d.Title, d.Severity, d.Status,
			strconv.FormatInt(d.FindingCount, 10), strings.Join(d.Sources, " "), strings.Join(ctl, " "), d.Params, d.SQLSHA256, d.Error})
	}
	if err := add("csv/detections.csv", []string{"detection_id", "pack", "pack_version", "title", "severity", "status", "finding_count", "sources", "controls", "params", "sql_sha256", "error"}, dets); err != nil {
		return nil, err
	}

	var failed [][]string
	for _, o := range m.Coverage.FailedObjects {
		failed = append(failed, []string{o.Source, o.Account, o.Region, o.Day.Format(time.DateOnly), o.Bucket, o.Key, o.Error})
	}
	if err := add("csv/failed_objects.csv", []string{"source", "account_id", "region", "day", "bucket", "key", "error"}, failed); err != nil {
		return nil, err
	}
	sortCSV(out)
	return out, nil
}

func sortCSV(fs []CSVFile) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Path < fs[j-1].Path; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func findingHeader(withControls bool) []string {
	h := []string{"finding_id", "detection_id", "severity", "account_id", "region", "principal", "resource",
		"first_seen", "last_seen", "count", "event_ids", "source_objects", "details"}
	if withControls {
		h = append(h[:3:3], append([]string{"controls"}, h[3:]...)...)
	}
	return h
}

func (m *Model) findingRow(f Finding, withControls bool) []string {
	row := []string{f.FindingID, f.DetectionID, f.Severity}
	if withControls {
		var ctl []string
		if d := m.Detection(f.DetectionID); d != nil {
			for _, fw := range m.Frameworks {
				for _, id := range d.Controls[fw] {
					ctl = append(ctl, fw+":"+id)
				}
			}
		}
		row = append(row, strings.Join(ctl, " "))
	}
	return append(row, f.AccountID, f.Region, f.Principal, f.Resource, ISOTime(f.FirstSeen), ISOTime(f.LastSeen),
		strconv.FormatInt(f.Count, 10), strings.Join(f.EventIDs, " "), strings.Join(f.SourceObjects, " "), f.Details)
}

// ISOTime formats t as ISO 8601 UTC with seconds, or "" for the zero time.
func ISOTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// FileSafe maps a control id to a file name: letters, digits, dots and
// dashes are kept, anything else becomes "_".
func FileSafe(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
