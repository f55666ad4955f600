package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/auditlake/auditlake/ingest"
)

var termIsTerminal = term.IsTerminal

// startIngestBar draws a progress bar on stderr while an ingest runs, when
// stderr is a terminal and --quiet is off. It returns a function that stops
// and clears it.
func startIngestBar(g *globals, p *ingest.Progress) (stop func()) {
	if g.quiet || !isTerminal(g.stderr) {
		return func() {}
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(g.stderr),
		progressbar.OptionShowBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(28),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetTheme(progressbar.Theme{Saucer: "█", SaucerPadding: "░", BarStart: "▕", BarEnd: "▏"}),
	)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-done:
				bar.Finish()
				return
			case <-t.C:
			}
			listing := "listing…"
			if p.ListingDone.Load() {
				listing = ""
				bar.ChangeMax64(p.QueuedBytes.Load())
			}
			objs := p.Objects.Load()
			rows := p.Rows.Load()
			rate := float64(rows) / time.Since(start).Seconds()
			desc := fmt.Sprintf("%s/%s objects · %s rows (%s/s)", num(objs), num(p.QueuedObjects.Load()), num(rows), num(int64(rate)))
			if f := p.Failed.Load(); f > 0 {
				desc += fmt.Sprintf(" · %s failed", num(f))
			}
			if u := p.Unchanged.Load(); u > 0 {
				desc += fmt.Sprintf(" · %s unchanged", num(u))
			}
			if listing != "" {
				desc += " · " + listing
			}
			bar.Describe(desc)
			bar.Set64(p.Bytes.Load())
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
