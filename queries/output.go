package queries

import (
	"encoding/json"
	"time"
)

// FindingRecord is the JSON form of a finding that `auditlake detect
// --format jsonl` prints, one a line.
type FindingRecord struct {
	Detection     string          `json:"detection"`
	Title         string          `json:"title"`
	Severity      string          `json:"severity"`
	AccountID     *string         `json:"account_id"`
	Region        *string         `json:"region"`
	Principal     *string         `json:"principal"`
	Resource      *string         `json:"resource"`
	FirstSeen     *string         `json:"first_seen"`
	LastSeen      *string         `json:"last_seen"`
	Count         int64           `json:"count"`
	EventIDs      []string        `json:"event_ids"`
	SourceObjects []string        `json:"source_objects"`
	Controls      ControlRefs     `json:"controls"`
	Details       json.RawMessage `json:"details"`
	FindingID     string          `json:"finding_id"`
	RunID         string          `json:"run_id"`
}

// ControlRefs are a finding's control ids per framework.
type ControlRefs struct {
	SOC2     []string `json:"soc2"`
	ISO27001 []string `json:"iso27001"`
	CISAWSv3 []string `json:"cis_aws_v3"`
}

func refs(c Controls) ControlRefs {
	return ControlRefs{SOC2: list(c.SOC2), ISO27001: list(c.ISO27001), CISAWSv3: list(c.CISAWSv3)}
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// Record returns the JSON form of a finding of this run.
func (r *RunResult) Record(f *Finding) FindingRecord {
	d, _ := r.Catalog.Detection(f.DetectionID)
	rec := FindingRecord{
		Detection: f.DetectionID, Severity: f.Severity,
		AccountID: strPtr(f.AccountID), Region: strPtr(f.Region), Principal: strPtr(f.Principal), Resource: strPtr(f.Resource),
		FirstSeen: timePtr(f.FirstSeen), LastSeen: timePtr(f.LastSeen), Count: f.Count,
		EventIDs: list(f.EventIDs), SourceObjects: list(f.SourceObjects),
		Details: f.Details, FindingID: f.FindingID, RunID: r.RunID,
	}
	if len(rec.Details) == 0 {
		rec.Details = json.RawMessage("null")
	}
	if d != nil {
		rec.Title = d.Title
		rec.Controls = refs(d.Controls)
	}
	return rec
}

// OCSF severity_id per auditlake severity.
var ocsfSeverity = map[string]int{"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

// OCSFVersion is the OCSF schema version OCSF output follows.
const OCSFVersion = "1.1.0"

// OCSF returns a finding as an OCSF 1.1.0 Detection Finding (class 2004,
// activity Create). Event ids become finding_info.related_events; the
// source objects, details and control ids go to unmapped, which OCSF
// keeps for data without a schema attribute.
func (r *RunResult) OCSF(f *Finding) map[string]any {
	rec := r.Record(f)
	desc := ""
	if d, ok := r.Catalog.Detection(f.DetectionID); ok {
		desc = d.Description
	}
	sev := ocsfSeverity[f.Severity]
	info := map[string]any{
		"uid":          f.FindingID,
		"title":        rec.Title,
		"desc":         desc,
		"types":        []string{f.DetectionID},
		"product_uid":  "auditlake",
		"data_sources": []string{"aws"},
	}
	if !f.FirstSeen.IsZero() {
		info["first_seen_time"] = f.FirstSeen.UnixMilli()
	}
	if !f.LastSeen.IsZero() {
		info["last_seen_time"] = f.LastSeen.UnixMilli()
	}
	if len(f.EventIDs) > 0 {
		rel := make([]map[string]any, len(f.EventIDs))
		for i, id := range f.EventIDs {
			rel[i] = map[string]any{"uid": id, "product_uid": "aws_cloudtrail"}
		}
		info["related_events"] = rel
	}
	cloud := map[string]any{"provider": "AWS"}
	if f.AccountID != "" {
		cloud["account"] = map[string]any{"uid": f.AccountID, "type": "AWS Account", "type_id": 10}
	}
	if f.Region != "" {
		cloud["region"] = f.Region
	}
	out := map[string]any{
		"class_uid":     2004,
		"class_name":    "Detection Finding",
		"category_uid":  2,
		"category_name": "Findings",
		"activity_id":   1,
		"activity_name": "Create",
		"type_uid":      200401,
		"type_name":     "Detection Finding: Create",
		"severity_id":   sev,
		"severity":      ocsfSeverityName(sev),
		"status_id":     1,
		"status":        "New",
		"time":          r.StartedAt.UnixMilli(),
		"message":       rec.Title,
		"count":         f.Count,
		"finding_info":  info,
		"cloud":         cloud,
		"metadata": map[string]any{
			"version":         OCSFVersion,
			"product":         map[string]any{"name": "auditlake", "vendor_name": "auditlake", "version": r.Version},
			"uid":             f.FindingID,
			"correlation_uid": r.RunID,
		},
		"unmapped": map[string]any{
			"event_ids":      rec.EventIDs,
			"source_objects": rec.SourceObjects,
			"details":        rec.Details,
			"controls":       rec.Controls,
			"run_id":         r.RunID,
			"principal":      rec.Principal,
		},
	}
	if !f.FirstSeen.IsZero() {
		out["start_time"] = f.FirstSeen.UnixMilli()
	}
	if !f.LastSeen.IsZero() {
		out["end_time"] = f.LastSeen.UnixMilli()
	}
	var resources []map[string]any
	if f.Resource != "" {
		res := map[string]any{"uid": f.Resource, "cloud_partition": "aws"}
		if f.Region != "" {
			res["region"] = f.Region
		}
		resources = append(resources, res)
	}
	if resources != nil {
		out["resources"] = resources
	}
	return out
}

func ocsfSeverityName(id int) string {
	return [...]string{"Unknown", "Informational", "Low", "Medium", "High", "Critical"}[id]
}
