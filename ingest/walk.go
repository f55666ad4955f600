package ingest

import (
	"context"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/auditlake/auditlake/ingest/objstore"
	"github.com/auditlake/auditlake/ingest/source"
)

// awsLogsService matches any AWS service folder under AWSLogs/ so that other
// services' logs (ELB, S3 access logs, ...) are recognised without
// downloading them, and pruned by account and region like ours.
var awsLogsService = source.MustLayout("aws_logs", "**/AWSLogs/{org?}/{account}/{service}/**")

// listConcurrency bounds concurrent LIST calls while descending a filtered
// hierarchy: each call is a round trip, and an organisation has hundreds of
// account/region/day prefixes.
const listConcurrency = 16

// walk calls fn for every object under prefix that the filter does not
// rule out by its key. With an empty filter it is one flat listing; with a
// filter it descends one level at a time and skips the prefixes every
// layout rules out, so that nothing outside the filter is listed, let alone
// downloaded. fn may be called from several goroutines.
func walk(ctx context.Context, store objstore.Store, prefix string, f source.Filter, wanted func(dir string) bool, fn func(objstore.ObjectInfo) error) error {
	if f.Empty() {
		for e, err := range store.List(ctx, prefix, "") {
			if err != nil {
				return err
			}
			if !e.IsPrefix {
				if err := fn(e.ObjectInfo); err != nil {
					return err
				}
			}
		}
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	sem := make(chan struct{}, listConcurrency)
	var mu sync.Mutex // fn is called under mu: callers need not be concurrent-safe
	var descend func(p string)
	descend = func(p string) {
		g.Go(func() error {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			var subdirs []string
			for e, err := range store.List(ctx, p, "/") {
				if err != nil {
					<-sem
					return err
				}
				if e.IsPrefix {
					subdirs = append(subdirs, e.Key)
					continue
				}
				mu.Lock()
				err := fn(e.ObjectInfo)
				mu.Unlock()
				if err != nil {
					<-sem
					return err
				}
			}
			<-sem
			for _, d := range subdirs {
				if wanted(d) {
					descend(d)
				}
			}
			return nil
		})
	}
	descend(prefix)
	return g.Wait()
}

// dirWanted judges a directory prefix ("a/b/c/") against all layouts: a
// prefix some layout may fill with wanted objects is descended, one every
// layout that describes it rules out is skipped, and one no layout
// describes is descended (it may hold credential reports anywhere). Under
// a filter, other AWS services' folders are skipped: their objects would
// only be recorded as unsupported.
func (l *loader) dirWanted(dir string) bool {
	segs := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	f := l.cfg.Filter
	pruned := false
	for _, lo := range l.layouts {
		switch lo.l.Dir(segs, f) {
		case source.Descend:
			return true
		case source.Prune:
			pruned = true
		}
	}
	if m, ok := awsLogsService.Match(dir + "x"); ok && !l.ownService(m.Fields["service"]) {
		return false
	}
	return !pruned && awsLogsService.Dir(segs, f) != source.Prune
}
