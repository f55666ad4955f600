package reports

import "slices"

// Statuses of a control or a responsibility area.
const (
	StatusClean      = "evidence clean"  // detections ran on data and found nothing
	StatusFindings   = "findings"        // at least one detection found something
	StatusNoEvidence = "no evidence"     // its detections had no data (source not ingested)
	StatusError      = "detection error" // a detection failed and none found anything
	StatusNotCovered = "no detection"    // no detection maps to it
)

// ControlResult is a control's outcome in the run.
type ControlResult struct {
	Control    Control
	Detections []*Detection // the detections mapped to it, in model order
	Findings   int64
	Status     string
}

// ControlResults evaluates every control of a framework, in catalogue order.
func (m *Model) ControlResults(framework string) []ControlResult {
	var out []ControlResult
	for _, c := range m.Controls[framework] {
		cr := ControlResult{Control: c}
		for i := range m.Detections {
			d := &m.Detections[i]
			if slices.Contains(d.Controls[framework], c.ID) {
				cr.Detections = append(cr.Detections, d)
				cr.Findings += d.FindingCount
			}
		}
		cr.Status = combine(cr.Detections)
		out = append(out, cr)
	}
	return out
}

// combine gives the status of a set of detections: findings win, then
// errors, then clean evidence; only detections without data give "no
// evidence".
func combine(ds []*Detection) string {
	if len(ds) == 0 {
		return StatusNotCovered
	}
	var pass, errs bool
	for _, d := range ds {
		switch d.Status {
		case "fail":
			return StatusFindings
		case "pass":
			pass = true
		case "error":
			errs = true
		}
	}
	switch {
	case errs:
		return StatusError
	case pass:
		return StatusClean
	}
	return StatusNoEvidence
}

// Responsibilities are the customer-side areas of the shared responsibility
// model, in the order the matrix shows them.
var Responsibilities = []struct{ ID, Title, Customer string }{
	{"identity_access", "Identity and access", "Who may sign in and what they may do: MFA, least privilege, use of roles."},
	{"root_account", "Root account", "The root user is locked away: MFA, no access keys, no day-to-day use."},
	{"credential_rotation", "Credentials rotation", "Passwords and access keys are rotated, and unused ones removed."},
	{"network_rules", "Network rules", "Security groups and network ACLs expose only what must be exposed."},
	{"encryption", "Encryption at rest and in transit", "Data stores and keys are encrypted; keys are not disabled or deleted."},
	{"configuration_patching", "Configuration and patching", "Resources keep their approved configuration; changes are recorded."},
	{"logging_monitoring", "Logging and monitoring", "CloudTrail, Config and flow logs stay on and are watched."},
}

// AreaResult is one row of the shared responsibility matrix.
type AreaResult struct {
	ID, Title, Customer string
	Controls            []Control    // of the selected frameworks, in framework then catalogue order
	Detections          []*Detection // giving evidence for those controls, in model order
	Findings            int64
	Status              string
}

// Matrix evaluates the shared responsibility matrix for the selected
// frameworks.
func (m *Model) Matrix() []AreaResult {
	var out []AreaResult
	for _, r := range Responsibilities {
		a := AreaResult{ID: r.ID, Title: r.Title, Customer: r.Customer}
		seen := map[string]bool{}
		for _, fw := range m.Frameworks {
			for _, c := range m.Controls[fw] {
				if c.Responsibility != r.ID {
					continue
				}
				a.Controls = append(a.Controls, c)
				for i := range m.Detections {
					d := &m.Detections[i]
					if !seen[d.ID] && slices.Contains(d.Controls[fw], c.ID) {
						seen[d.ID] = true
					}
				}
			}
		}
		for i := range m.Detections {
			if d := &m.Detections[i]; seen[d.ID] {
				a.Detections = append(a.Detections, d)
				a.Findings += d.FindingCount
			}
		}
		a.Status = combine(a.Detections)
		if a.Status == StatusNotCovered && len(a.Controls) > 0 {
			a.Status = StatusNoEvidence
		}
		out = append(out, a)
	}
	return out
}

// ControlsOf returns the findings' control ids for a detection in a
// framework.
func (d *Detection) ControlsOf(framework string) []string { return d.Controls[framework] }
