package synth

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"
	"time"
)

var snapshotStampRE = regexp.MustCompile(`_ConfigSnapshot_(\d{8}T\d{6}Z)_`)

// A snapshot repeats each resource's current version as the history
// delivered it: the item is byte-identical to the history item of the
// latest version at or before the snapshot time, capture time included.
func TestConfigSnapshotItemsRepeatHistoryVersions(t *testing.T) {
	f := demoFixture(t)
	type resKey struct{ account, typ, id string }
	type item struct {
		Account     string `json:"awsAccountId"`
		Type        string `json:"resourceType"`
		ID          string `json:"resourceId"`
		CaptureTime string `json:"configurationItemCaptureTime"`
	}
	type snapItem struct {
		key  string
		at   time.Time
		res  resKey
		ct   time.Time
		body string
	}
	versions := map[resKey][]time.Time{}
	bodies := map[resKey]map[time.Time]string{}
	var snaps []snapItem
	for key, b := range f.store.objs {
		isHist := layoutRE[KindConfigHistory].MatchString(key)
		if !isHist && !layoutRE[KindConfigSnapshot].MatchString(key) {
			continue
		}
		var doc struct {
			Items []json.RawMessage `json:"configurationItems"`
		}
		if err := json.Unmarshal(gunzip(t, key, b), &doc); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		var at time.Time
		if !isHist {
			m := snapshotStampRE.FindStringSubmatch(key)
			if m == nil {
				t.Fatalf("%s: no snapshot time in the key", key)
			}
			at, _ = time.Parse("20060102T150405Z", m[1])
		}
		for _, raw := range doc.Items {
			var it item
			if err := json.Unmarshal(raw, &it); err != nil {
				t.Fatal(err)
			}
			ct, err := time.Parse(time.RFC3339, it.CaptureTime)
			if err != nil {
				t.Fatal(err)
			}
			k := resKey{it.Account, it.Type, it.ID}
			if isHist {
				versions[k] = append(versions[k], ct)
				if bodies[k] == nil {
					bodies[k] = map[time.Time]string{}
				}
				bodies[k][ct] = string(raw)
			} else {
				snaps = append(snaps, snapItem{key, at, k, ct, string(raw)})
			}
		}
	}
	if len(snaps) == 0 {
		t.Fatal("no snapshot items")
	}
	atSnapshotTime := 0
	for _, s := range snaps {
		vs := versions[s.res]
		slices.SortFunc(vs, time.Time.Compare)
		var latest time.Time
		for _, v := range vs {
			if !v.After(s.at) {
				latest = v
			}
		}
		if latest.IsZero() || !s.ct.Equal(latest) {
			t.Errorf("%s: %s %s captured %s; its latest version by %s is %s", s.key, s.res.typ, s.res.id, s.ct, s.at, latest)
			continue
		}
		if bodies[s.res][latest] != s.body {
			t.Errorf("%s: %s %s differs from the history item it repeats", s.key, s.res.typ, s.res.id)
		}
		if s.ct.Truncate(time.Second).Equal(s.at) {
			atSnapshotTime++
		}
	}
	if atSnapshotTime == len(snaps) {
		t.Error("every snapshot item carries the snapshot time")
	}
}
