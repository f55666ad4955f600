// Package reports renders an evidence pack's content: the CSV files (this
// package) and the PDF report (reports/pdf). Renderers are pure: they take a
// *Model that package evidence built from the database and write bytes. No
// SQL and no AWS here.
//
// Determinism: given the same Model, every renderer writes the same bytes
// (the PDF apart from its creation date, which is Model.GeneratedAt). Slices
// in the Model are already in their final order; renderers never iterate
// over maps without sorting their keys.
package reports
