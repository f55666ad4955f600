// Package pdf renders an evidence pack's report.pdf from a reports.Model.
//
// One file per report section (cover.go, contents.go, coverage.go,
// summary.go, matrix.go, controls.go, appendix.go), the charts in
// charts.go, and the page furniture and table layout in pdf.go.
//
// The document is rendered twice: the first pass records the page each
// section starts on, the second writes the table of contents with those
// numbers (the contents page has a fixed size, so nothing moves).
//
// Fonts are the Go fonts (BSD licence, golang.org/x/image/font/gofont),
// embedded as TrueType subsets: PDF readers and archives then show exactly
// what we rendered, which the 14 standard PDF fonts (never embedded) do not
// guarantee.
package pdf
