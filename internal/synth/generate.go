package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Generate writes the archive described by cfg through out and returns
// what it wrote. It streams: objects are built, compressed and handed to
// out one at a time by a pool of workers (one per core), so memory does not
// grow with the size of the archive. The same Config always gives the same
// keys and bytes, whatever the number of cores.
//
// On error or cancellation Generate stops and returns the first error;
// objects already written stay written.
func Generate(ctx context.Context, cfg Config, out Putter) (*Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	o := newOrg(cfg)
	o.calibrate(cfg.EventsPerDay)
	gen := &generator{o: o, plan: newPlan(o), out: out}
	m, err := gen.run(ctx)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	return m, nil
}

type generator struct {
	o     *org
	plan  *plan
	out   Putter
	putCh chan object
	bytes atomic.Int64
}

// worker is one generating goroutine with its own buffers.
type worker struct {
	gen   *generator
	ctx   context.Context
	comp  *compressor
	m     *Manifest
	c     ectx
	slots []slot
	body  []byte
	key   []byte
}

func (w *worker) send(key, kind string, buf *bytes.Buffer) error {
	w.m.Objects[kind]++
	select {
	case w.gen.putCh <- object{key: key, kind: kind, body: buf}:
		return nil
	case <-w.ctx.Done():
		putBuf(buf)
		return w.ctx.Err()
	}
}

type job struct {
	ct  *ctUnit
	run func(w *worker) error
}

// blocksPerDay splits busy days so that a unit stays around 40,000 events:
// small units keep every core busy even with one account and one region.
func (gen *generator) blocksPerDay() int {
	o := gen.o
	peak := 0.0
	for _, a := range o.accounts {
		for _, r := range a.regions {
			s := 0.0
			for _, p := range a.principals {
				if r == a.global {
					s += p.rate * p.globalFrac
				}
				if r.idx < len(p.regionW) {
					s += p.rate * (1 - p.globalFrac) * p.regionW[r.idx]
				}
			}
			peak = max(peak, s)
		}
	}
	for _, b := range []int{1, 2, 3, 4, 6, 8, 12, 24} {
		if peak/float64(b) <= 40000 {
			return b
		}
	}
	return 24
}

func (gen *generator) jobs() (cts []*ctUnit, jobs []job) {
	o, cfg := gen.o, gen.o.cfg
	if cfg.CloudTrail {
		b := gen.blocksPerDay()
		span := int64(86400 / b)
		for d := range cfg.Days {
			day0 := cfg.startSec() + int64(d)*86400
			for blk := range b {
				for _, a := range o.accounts {
					for _, r := range a.regions {
						u := &ctUnit{seq: len(cts), day: d, block: blk, a: a, r: r, t0: day0 + int64(blk)*span, t1: day0 + int64(blk+1)*span}
						cts = append(cts, u)
						jobs = append(jobs, job{ct: u})
					}
				}
			}
		}
	}
	if cfg.FlowLogs {
		for d := range cfg.Days {
			for _, a := range o.accounts {
				for _, r := range a.regions {
					if fl := gen.flowFormat(a, r); fl != nil {
						jobs = append(jobs, job{run: func(w *worker) error { return w.flowUnit(a, r, fl, d) }})
					}
				}
			}
		}
	}
	if cfg.Config {
		for _, a := range o.accounts {
			jobs = append(jobs, job{run: func(w *worker) error { return w.configCheck(a) }})
			for _, r := range a.regions {
				if !r.extra {
					jobs = append(jobs, job{run: func(w *worker) error { return w.configUnit(a, r) }})
				}
			}
		}
	}
	if cfg.CredentialReports {
		for _, a := range o.accounts {
			jobs = append(jobs, job{run: func(w *worker) error { return w.credentialReports(a) }})
		}
	}
	if cfg.Junk {
		jobs = append(jobs, job{run: func(w *worker) error { return w.junk() }})
	}
	return cts, jobs
}

func (gen *generator) run(ctx context.Context) (*Manifest, error) {
	cts, jobs := gen.jobs()
	nw := runtime.GOMAXPROCS(0)
	gen.putCh = make(chan object, 4*nw)
	eg, ctx := errgroup.WithContext(ctx)

	// CloudTrail results reach the digest sequencer in unit order; a worker
	// takes a token before claiming a unit, which bounds how far generation
	// runs ahead of the sequencer (and the memory that holds results).
	results := make([]chan *ctResult, len(cts))
	for i := range results {
		results[i] = make(chan *ctResult, 1)
	}
	tokens := make(chan struct{}, 4*nw)
	var (
		mu   sync.Mutex
		next int
	)
	claim := func() int {
		mu.Lock()
		defer mu.Unlock()
		i := next
		next++
		return i
	}
	unclaimedCT := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return next < len(cts)
	}

	workers := make([]*worker, nw)
	var producers sync.WaitGroup
	for i := range nw {
		w := &worker{gen: gen, ctx: ctx, comp: newCompressor(), m: newManifest()}
		workers[i] = w
		producers.Add(1)
		eg.Go(func() error {
			defer producers.Done()
			for {
				token := false
				if unclaimedCT() {
					select {
					case tokens <- struct{}{}:
						token = true
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				i := claim()
				if i >= len(jobs) || i >= len(cts) {
					if token {
						<-tokens
					}
				}
				if i >= len(jobs) {
					return nil
				}
				if i < len(cts) {
					res, err := w.cloudTrailUnit(jobs[i].ct)
					if err != nil {
						return err
					}
					results[i] <- res
					continue
				}
				if err := jobs[i].run(w); err != nil {
					return err
				}
			}
		})
	}
	seq := &sequencer{gen: gen, ctx: ctx, comp: newCompressor(), m: newManifest(), chains: map[*region]*chain{}}
	if len(cts) > 0 {
		producers.Add(1)
		eg.Go(func() error {
			defer producers.Done()
			for i := range cts {
				select {
				case res := <-results[i]:
					<-tokens
					if err := seq.add(res); err != nil {
						return err
					}
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return seq.finish()
		})
	}
	go func() {
		producers.Wait()
		close(gen.putCh)
	}()
	for range max(8, 4*nw) {
		eg.Go(func() error {
			for obj := range gen.putCh {
				if ctx.Err() != nil {
					putBuf(obj.body)
					continue
				}
				n := int64(obj.body.Len())
				err := gen.out.Put(ctx, obj.key, bytes.NewReader(obj.body.Bytes()), n)
				putBuf(obj.body)
				if err != nil {
					return fmt.Errorf("put %s: %w", obj.key, err)
				}
				gen.bytes.Add(n)
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}

	m := newManifest()
	for _, w := range workers {
		m.add(w.m)
	}
	m.add(seq.m)
	m.Bytes = gen.bytes.Load()
	for _, a := range gen.o.accounts {
		m.Accounts = append(m.Accounts, a.Account)
	}
	// Without CloudTrail, only incidents shown by other sources remain.
	keep := func(list []Incident) []Incident {
		var out []Incident
		for _, in := range list {
			if gen.o.cfg.CloudTrail || len(in.EventIDs) == 0 {
				out = append(out, in)
			}
		}
		return out
	}
	m.Incidents = append(m.Incidents, keep(gen.plan.incidents)...)
	m.Benign = append(m.Benign, keep(gen.plan.benign)...)
	m.sort()
	return m, nil
}

// ---- digests ----

// A chain is the digest chain of one account and region: one digest an
// hour listing the log files delivered in that hour, each naming and
// hashing the one before.
type chain struct {
	a        *acct
	r        *region
	next     int64 // start of the next digest window
	pending  []logRef
	prevKey  string
	prevHash string
}

type sequencer struct {
	gen    *generator
	ctx    context.Context
	comp   *compressor
	m      *Manifest
	chains map[*region]*chain
	order  []*chain
	body   []byte
}

func (s *sequencer) chain(r *region) *chain {
	ch := s.chains[r]
	if ch == nil {
		o := s.gen.o
		// Windows start at a trail-specific second of the hour, as real
		// digests do (the hour the trail was created).
		off := int64(hash(uint64(o.seed), strHash(r.a.ID), strHash(r.name)) % 3600)
		ch = &chain{a: r.a, r: r, next: o.cfg.startSec() - 3600 + off}
		s.chains[r] = ch
		s.order = append(s.order, ch)
	}
	return ch
}

func (s *sequencer) add(res *ctResult) error {
	ch := s.chain(res.u.r)
	ch.pending = append(ch.pending, res.refs...)
	// No later unit of this chain delivers before res.u.t1.
	for ch.next+3600 <= res.u.t1 {
		if err := s.emit(ch); err != nil {
			return err
		}
	}
	return nil
}

func (s *sequencer) finish() error {
	end := s.gen.o.cfg.endSec()
	for _, ch := range s.order {
		for ch.next < end || len(ch.pending) > 0 {
			if err := s.emit(ch); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *sequencer) emit(ch *chain) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	o := s.gen.o
	start, end := ch.next, ch.next+3600
	ch.next = end
	var files []logRef
	rest := ch.pending[:0]
	for _, f := range ch.pending {
		if f.delivery < end {
			files = append(files, f)
		} else {
			rest = append(rest, f)
		}
	}
	ch.pending = rest

	k := o.appendLogPrefix(nil, ch.a, "CloudTrail-Digest", ch.r.name, end)
	k = append(k, ch.a.ID...)
	k = append(k, "_CloudTrail-Digest_"...)
	k = append(k, ch.r.name...)
	k = append(k, '_')
	k = append(k, o.trailName...)
	k = append(k, '_')
	k = append(k, ch.r.name...)
	k = append(k, '_')
	k = appendStamp(k, end, true)
	k = append(k, ".json.gz"...)
	key := string(k)

	b := s.body[:0]
	b = append(b, `{"awsAccountId":"`...)
	b = append(b, ch.a.ID...)
	b = append(b, `","digestStartTime":"`...)
	b = appendTime(b, start)
	b = append(b, `","digestEndTime":"`...)
	b = appendTime(b, end)
	b = append(b, `","digestS3Bucket":"`...)
	b = append(b, o.bucket...)
	b = append(b, `","digestS3Object":"`...)
	b = append(b, key...)
	b = append(b, `","digestPublicKeyFingerprint":"`...)
	b = append(b, hexFrom(32, strHash(ch.r.name), 0xf1)...)
	b = append(b, `","digestSignatureAlgorithm":"SHA256withRSA"`...)
	if len(files) > 0 {
		oldest, newest := files[0].oldest, files[0].newest
		for _, f := range files {
			oldest, newest = min(oldest, f.oldest), max(newest, f.newest)
		}
		b = append(b, `,"newestEventTime":"`...)
		b = appendTime(b, newest)
		b = append(b, `","oldestEventTime":"`...)
		b = appendTime(b, oldest)
		b = append(b, '"')
	} else {
		b = append(b, `,"newestEventTime":null,"oldestEventTime":null`...)
	}
	if ch.prevKey == "" {
		b = append(b, `,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null`...)
	} else {
		b = append(b, `,"previousDigestS3Bucket":"`...)
		b = append(b, o.bucket...)
		b = append(b, `","previousDigestS3Object":"`...)
		b = append(b, ch.prevKey...)
		b = append(b, `","previousDigestHashValue":"`...)
		b = append(b, ch.prevHash...)
		b = append(b, `","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"`...)
		// The real signature is RSA over the previous digest; this one only
		// has its shape (256 bytes, hex).
		sig := sha256.Sum256([]byte(ch.prevHash))
		for range 8 {
			for _, v := range sig {
				b = append(b, hexDigits[v>>4], hexDigits[v&15])
			}
			sig = sha256.Sum256(sig[:])
		}
		b = append(b, '"')
	}
	b = append(b, `,"logFiles":[`...)
	for i, f := range files {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"s3Bucket":"`...)
		b = append(b, o.bucket...)
		b = append(b, `","s3Object":"`...)
		b = append(b, f.key...)
		b = append(b, `","hashValue":"`...)
		b = append(b, f.hash...)
		b = append(b, `","hashAlgorithm":"SHA-256","newestEventTime":"`...)
		b = appendTime(b, f.newest)
		b = append(b, `","oldestEventTime":"`...)
		b = appendTime(b, f.oldest)
		b = append(b, `"}`...)
	}
	b = append(b, "]}"...)
	s.body = b
	ch.prevKey, ch.prevHash = key, sha256Hex(b)
	s.m.Objects[KindCloudTrailDigest]++
	buf := s.comp.gzip(b)
	select {
	case s.gen.putCh <- object{key: key, kind: KindCloudTrailDigest, body: buf}:
		return nil
	case <-s.ctx.Done():
		putBuf(buf)
		return s.ctx.Err()
	}
}

// emitInsight writes one CloudTrail Insights event as its own object.
func (w *worker) emitInsight(in *insightEvent, a *acct, region string, rg *rng) error {
	o := w.gen.o
	delivery := in.t + int64(600+rg.intn(900))
	k := o.appendLogPrefix(w.key[:0], a, "CloudTrail-Insight", region, delivery)
	k = append(k, a.ID...)
	k = append(k, "_CloudTrail-Insight_"...)
	k = append(k, region...)
	k = append(k, '_')
	k = appendStamp(k, delivery, false)
	k = append(k, '_')
	k = rg.appendAlnum(k, 16)
	k = append(k, ".json.gz"...)
	w.key = k
	body := append(w.body[:0], `{"Records":[`...)
	body = append(body, in.body...)
	body = append(body, "]}"...)
	w.body = body
	w.m.InsightEvents++
	return w.send(string(k), KindCloudTrailInsight, w.comp.gzip(body))
}
