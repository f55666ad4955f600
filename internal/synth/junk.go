package synth

import (
	"bytes"
	"strconv"
)

// junk writes the bad objects a real bucket collects over the years, so
// that ingest can be tested for surviving them. All CloudTrail junk sits
// in the first account's first region on the first day.
func (w *worker) junk() error {
	o := w.gen.o
	a := o.accounts[0]
	region := o.cfg.Regions[0]
	rg := newRNG(o.seed, streamJunk)
	day0 := o.cfg.startSec()
	base := string(o.appendLogPrefix(nil, a, "CloudTrail", region, day0))
	ctKeyAt := func(min int64) string {
		t := day0 + min*60
		return base + a.ID + "_CloudTrail_" + region + "_" + string(appendStamp(nil, t, false)) + "_" + string(rg.appendAlnum(nil, 16)) + ".json.gz"
	}
	alice := a.byName["alice"]
	valid := func(t int64) []byte {
		_, b := renderSpec(rg, evSpec{a: a, region: region, t: t, identity: appendIdentity(nil, alice, "", t, false),
			source: "ec2", name: "DescribeInstances", ip: officeIP1, ua: uaCLIMac + " command/ec2.describe-instances", readOnly: true,
			req: `{"instancesSet":{},"filterSet":{}}`})
		return b
	}
	records := func(evs ...[]byte) []byte {
		return append(append([]byte(`{"Records":[`), bytes.Join(evs, []byte(","))...), "]}"...)
	}
	gz := func(b []byte) *bytes.Buffer { return w.comp.gzip(b) }
	raw := func(b []byte) *bytes.Buffer {
		buf := getBuf()
		buf.Write(b)
		return buf
	}

	full := gz(records(valid(day0+300), valid(day0+301), valid(day0+302)))
	truncated := raw(full.Bytes()[:full.Len()/2])
	putBuf(full)

	// One record with mistyped fields among valid ones.
	t := day0 + 1500
	bad := valid(t + 2)
	bad = bytes.Replace(bad, []byte(`"readOnly":true`), []byte(`"readOnly":"true"`), 1)
	bad = bytes.Replace(bad, []byte(`"eventTime":"`+isoTime(t+2)+`"`), []byte(`"eventTime":`+strconv.FormatInt(t+2, 10)), 1)
	mixed := records(valid(t), valid(t+1), bad, valid(t+3), valid(t+4))

	items := []struct {
		key, problem string
		body         *bytes.Buffer
		valid        int
	}{
		{ctKeyAt(7), "truncated gzip: the stream ends halfway through (unexpected EOF)", truncated, 0},
		{ctKeyAt(12), "gzip of invalid JSON: the Records array is cut off mid-record", gz([]byte(`{"Records":[{"eventVersion":"1.08","eventTime":"` + isoTime(day0+600) + `","eventSource":"ec2.amazonaws.com","eventName":"Describe`)), 0},
		{ctKeyAt(17), `valid gzip and JSON, but not CloudTrail: {"foo":1} (no Records)`, gz([]byte(`{"foo":1}`)), 0},
		{ctKeyAt(22), "empty object (0 bytes) with a CloudTrail key", getBuf(), 0},
		{base + "ingest-notes.txt", "plain text, not gzip, under the CloudTrail prefix", raw([]byte("copied the September logs here by hand, see ticket OPS-1234\n")), 0},
		{"README.txt", "a README at the bucket root, outside any log layout", raw([]byte("Example Corp log archive. Managed by the security team. Do not delete.\n")), 0},
		{ctKeyAt(27), "record 3 of 5 has eventTime as a number and readOnly as a string; the other 4 records are valid and must load", gz(mixed), 4},
	}
	for _, it := range items {
		w.m.Junk = append(w.m.Junk, JunkObject{Key: it.key, Problem: it.problem, ValidEvents: it.valid})
		if err := w.send(it.key, KindJunk, it.body); err != nil {
			return err
		}
	}
	return nil
}
