package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of the command to path until the
// returned stop is called (the hidden --cpuprofile flag: scripts/bench.sh and
// docs/BENCHMARKS.md use it to find where ingest spends its time).
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// ingestGoMemory is the Go heap's soft limit during ingest, unless GOMEMLIMIT
// says otherwise. Decoded Arrow batches live on the Go heap; with the
// default GOGC alone the heap grows to twice what is live, and next to
// DuckDB's own memory a 1M-event ingest peaked at 2.35 GB RSS; with this
// limit at 1.9-2.1 GB for the same CPU. Lower limits cut more (768 MiB:
// 1.77 GB) but made the collector run all the time: +20-35% CPU
// (docs/BENCHMARKS.md).
const ingestGoMemory = 1 << 30

func limitGoMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ingestGoMemory)
	}
}
