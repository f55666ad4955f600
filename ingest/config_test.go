package ingest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditlake/auditlake/internal/duck"
)

// AWS Config through the loader: history, snapshot and oversized-item
// objects delivering the same versions, deletions, re-creations, the
// writability check, a notification under a key no layout knows, and the
// questions config_state_at and config_latest answer.

const cfgAcct = "111122223333"

func cfgAt(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// cfgItem is one configuration item in the current schema. The state id is
// the capture time in milliseconds, as AWS Config writes it.
func cfgItem(typ, id, status, at, configuration string) string {
	t := cfgAt(at)
	if configuration == "" {
		configuration = "null"
	}
	return fmt.Sprintf(`{"relatedEvents":[],"relationships":[],"configuration":%s,"supplementaryConfiguration":{},"tags":{},`+
		`"configurationItemVersion":"1.3","configurationItemCaptureTime":"%s","configurationStateId":%d,"awsAccountId":"%s",`+
		`"configurationItemStatus":"%s","resourceType":"%s","resourceId":"%s","resourceName":null,"ARN":"arn:aws:ec2:eu-west-1:%s:x/%s",`+
		`"awsRegion":"eu-west-1","availabilityZone":"Not Applicable","configurationStateMd5Hash":"","resourceCreationTime":null}`,
		configuration, t.UTC().Format("2006-01-02T15:04:05.000Z"), t.UnixMilli(), cfgAcct, status, typ, id, cfgAcct, id)
}

// cfgDir is a Config folder; AWS does not zero-pad month and day.
func cfgDir(region, day string) string {
	t := cfgAt(day + "T00:00:00Z")
	return fmt.Sprintf("AWSLogs/%s/Config/%s/%d/%d/%d/", cfgAcct, region, t.Year(), t.Month(), t.Day())
}

func cfgHistoryKey(region, day, typ string) string {
	return cfgDir(region, day) + fmt.Sprintf("ConfigHistory/%s_Config_%s_ConfigHistory_%s_%sT000000Z_%sT060000Z_1.json.gz",
		cfgAcct, region, typ, strings.ReplaceAll(day, "-", ""), strings.ReplaceAll(day, "-", ""))
}

func cfgFile(head string, items ...string) []byte {
	return gz(`{"fileVersion":"1.0",` + head + `"configurationItems":[` + strings.Join(items, ",") + `]}`)
}

const (
	sgOpen   = `{"groupId":"sg-web","ipPermissions":[{"fromPort":22,"toPort":22,"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}]}]}`
	sgClosed = `{"groupId":"sg-web","ipPermissions":[]}`
)

// cfgArchive: the versions of six resources around 31 October 2026.
//
//	sg-web   created 10-01, opened to the internet 10-20, closed 11-02
//	sg-temp  created 10-05, deleted 10-25
//	sg-late  created 11-01 (after the question's time)
//	vol-1    created 10-10, deleted 11-05 (after it)
//	bucket-x created 10-02, deleted 10-15, created again 10-28 (same name)
//	vol-doc  two deliveries in the 2014 documentation's vocabulary, whose
//	         state ids are not numbers
func cfgArchive() *memStore {
	m := newMemStore()
	sg := "AWS::EC2::SecurityGroup"
	put := func(key string, b []byte) { m.objects[key] = b }
	put(cfgHistoryKey("eu-west-1", "2026-10-01", sg), cfgFile("", cfgItem(sg, "sg-web", "ResourceDiscovered", "2026-10-01T10:00:00.100Z", sgClosed)))
	put(cfgHistoryKey("eu-west-1", "2026-10-05", sg), cfgFile("", cfgItem(sg, "sg-temp", "ResourceDiscovered", "2026-10-05T10:00:00Z", `{}`)))
	opened := cfgItem(sg, "sg-web", "OK", "2026-10-20T12:00:00.200Z", sgOpen)
	put(cfgHistoryKey("eu-west-1", "2026-10-20", sg), cfgFile("", opened))
	put(cfgHistoryKey("eu-west-1", "2026-10-25", sg), cfgFile("", cfgItem(sg, "sg-temp", "ResourceDeleted", "2026-10-25T08:30:00Z", "")))
	put(cfgHistoryKey("eu-west-1", "2026-11-01", sg), cfgFile("", cfgItem(sg, "sg-late", "ResourceDiscovered", "2026-11-01T00:00:01Z", `{}`)))
	put(cfgHistoryKey("eu-west-1", "2026-11-02", sg), cfgFile("", cfgItem(sg, "sg-web", "OK", "2026-11-02T09:00:00Z", sgClosed)))
	vol := "AWS::EC2::Volume"
	put(cfgHistoryKey("eu-west-1", "2026-10-10", vol), cfgFile("", cfgItem(vol, "vol-1", "ResourceDiscovered", "2026-10-10T10:00:00Z", `{"size":8}`)))
	put(cfgHistoryKey("eu-west-1", "2026-11-05", vol), cfgFile("", cfgItem(vol, "vol-1", "ResourceDeleted", "2026-11-05T10:00:00Z", "")))
	b := "AWS::S3::Bucket"
	put(cfgHistoryKey("eu-west-1", "2026-10-02", b), cfgFile("",
		cfgItem(b, "bucket-x", "ResourceDiscovered", "2026-10-02T10:00:00Z", `{"generation":1}`)))
	put(cfgHistoryKey("eu-west-1", "2026-10-15", b), cfgFile("",
		cfgItem(b, "bucket-x", "ResourceDeleted", "2026-10-15T10:00:00Z", "")))
	put(cfgHistoryKey("eu-west-1", "2026-10-28", b), cfgFile("",
		cfgItem(b, "bucket-x", "ResourceDiscovered", "2026-10-28T10:00:00Z", `{"generation":2}`)))

	// The snapshot of 10-31 repeats the versions current then; the
	// oversized-item object repeats sg-web's 10-20 version.
	put(cfgDir("eu-west-1", "2026-10-31")+"ConfigSnapshot/"+cfgAcct+"_Config_eu-west-1_ConfigSnapshot_20261031T040000Z_snap-1031.json.gz",
		cfgFile(`"configSnapshotId":"snap-1031",`, opened, cfgItem(vol, "vol-1", "ResourceDiscovered", "2026-10-10T10:00:00Z", `{"size":8}`),
			cfgItem(b, "bucket-x", "ResourceDiscovered", "2026-10-28T10:00:00Z", `{"generation":2}`)))
	put(cfgDir("eu-west-1", "2026-10-20")+"OversizedChangeNotification/"+sg+"/sg-web/"+cfgAcct+"_Config_eu-west-1_ChangeNotification_"+sg+"_sg-web_20261020T120000Z_1.json.gz",
		gz(`{"configurationItemDiff":{"changeType":"UPDATE"},"configurationItem":`+opened+`,"messageType":"ConfigurationItemChangeNotification","recordVersion":"1.3"}`))

	// The documentation's vocabulary, history and snapshot alike.
	doc := func(state string) string {
		return `{"snapshotVersion":"1.0","resourceId":"vol-doc","arn":"arn:aws:ec2:us-west-2:12345678910:volume/vol-doc","accountId":"` + cfgAcct + `",` +
			`"configurationItemCaptureTime":"2026-10-30T23:47:08.918Z","configurationStateID":"3e660fdf-4e34-4f32-afeb-0ace5bf3d63a",` +
			`"configurationItemStatus":"` + state + `","availibilityZone":"us-west-2b","resourceType":"AWS::EC2::Volume","configuration":{"size":1}}`
	}
	put(cfgHistoryKey("us-west-2", "2026-10-30", vol), cfgFile(`"requestId":"r-1",`, doc("OK")))
	put(cfgDir("us-west-2", "2026-10-31")+"ConfigSnapshot/"+cfgAcct+"_Config_us-west-2_ConfigSnapshot_20261031T000000Z_r-2.json.gz", cfgFile(`"requestId":"r-2",`, doc("OK")))

	// Recorded, not read.
	put("AWSLogs/"+cfgAcct+"/Config/ConfigWritabilityCheckFile", []byte("This object was written by AWS Config to check write access.\n"))
	// An SNS notification archived outside the Config folders: recognised
	// by content, counted as a skipped record.
	put("notifications/config/oversized-0001.json", []byte(`{"Type":"Notification","Subject":"[AWS Config:eu-west-1] AWS::EC2::SecurityGroup sg-web Updated","Message":"{\"configurationItemSummary\":{\"resourceType\":\"AWS::EC2::SecurityGroup\",\"resourceId\":\"sg-web\"},\"s3DeliverySummary\":{\"s3BucketLocation\":\"b/AWSLogs/x.json.gz\"},\"messageType\":\"OversizedConfigurationItemChangeNotification\"}"}`))
	// A truncated history file fails alone.
	whole := cfgFile("", cfgItem(sg, "sg-broken", "ResourceDiscovered", "2026-10-03T10:00:00Z", `{}`))
	put(cfgHistoryKey("eu-west-1", "2026-10-03", sg), whole[:len(whole)-12])
	return m
}

func TestRunConfigHistory(t *testing.T) {
	db := openDB(t)
	store := cfgArchive()
	sum := run(t, db, store, nil)

	// 11 history files of eu-west-1, 2 snapshots, 1 oversized item, 1
	// history file of us-west-2, the notification; the truncated file
	// fails, the writability check is skipped.
	if sum.Loaded != 16 || sum.Failed != 1 || sum.Skipped != 1 {
		t.Errorf("loaded %d, failed %d, skipped %d; want 16, 1, 1: %+v", sum.Loaded, sum.Failed, sum.Skipped, sum.Failures)
	}
	if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0].Key, "2026/10/3/") || !strings.Contains(sum.Failures[0].Err, "gzip") {
		t.Errorf("failures: %+v", sum.Failures)
	}
	// 11 + 3 + 1 + 2 rows decoded; the snapshot's 3, the oversized copy
	// and the documentation's second delivery are duplicates.
	if sum.Rows != 17 || sum.Duplicates != 5 || sum.SkippedRecords != 1 {
		t.Errorf("rows %d, duplicates %d, skipped records %d; want 17, 5, 1", sum.Rows, sum.Duplicates, sum.SkippedRecords)
	}
	if n := queryInt(t, db, "SELECT count(*) FROM config_items"); n != 12 {
		t.Errorf("%d rows in config_items, want 12 versions", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM (SELECT 1 FROM config_items
GROUP BY account_id, region, resource_type, resource_id, capture_time HAVING count(*) > 1)`); n != 0 {
		t.Errorf("%d versions held twice", n)
	}
	// The copy kept is the history file's (its key sorts first).
	got := cfgQuery(t, db, `SELECT resource_id, file_kind, coalesce(snapshot_id, '-'), coalesce(CAST(state_id AS VARCHAR), state_id_text)
FROM config_items WHERE resource_id IN ('sg-web', 'vol-doc') AND capture_time BETWEEN '2026-10-20' AND '2026-10-31' ORDER BY 1`)
	want := []string{"sg-web history - 1792497600200", "vol-doc history - 3e660fdf-4e34-4f32-afeb-0ace5bf3d63a"}
	if !slices.Equal(got, want) {
		t.Errorf("kept copies:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// What did sg-web look like on 31 October? Open to the internet.
	got = cfgQuery(t, db, `SELECT resource_id, status, configuration->>'$.ipPermissions[0].ipv4Ranges[0].cidrIp'
FROM config_state_at(TIMESTAMPTZ '2026-10-31 23:59:59+00') WHERE resource_id = 'sg-web'`)
	if !slices.Equal(got, []string{"sg-web OK 0.0.0.0/0"}) {
		t.Errorf("sg-web on 31 October: %v", got)
	}
	// Everything on 31 October: sg-temp deleted, sg-late not yet there,
	// vol-1 not yet deleted, bucket-x re-created.
	got = cfgQuery(t, db, `SELECT resource_id, status, strftime(capture_time, '%m-%d') FROM config_state_at(TIMESTAMPTZ '2026-10-31 23:59:59+00') ORDER BY 1`)
	want = []string{"bucket-x ResourceDiscovered 10-28", "sg-web OK 10-20", "vol-1 ResourceDiscovered 10-10", "vol-doc OK 10-30"}
	if !slices.Equal(got, want) {
		t.Errorf("state on 31 October:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// At the instant of a change the new version counts; just before it,
	// the old one. A deletion removes the resource from that instant.
	for ts, want := range map[string][]string{
		"2026-10-01 00:00:00+00":      nil,
		"2026-10-14 10:00:00.0001+00": {"bucket-x ResourceDiscovered", "sg-temp ResourceDiscovered", "sg-web ResourceDiscovered", "vol-1 ResourceDiscovered"},
		"2026-10-15 10:00:00+00":      {"sg-temp ResourceDiscovered", "sg-web ResourceDiscovered", "vol-1 ResourceDiscovered"},
		"2026-10-20 12:00:00.199+00":  {"sg-temp ResourceDiscovered", "sg-web ResourceDiscovered", "vol-1 ResourceDiscovered"},
		"2026-10-20 12:00:00.2+00":    {"sg-temp ResourceDiscovered", "sg-web OK", "vol-1 ResourceDiscovered"},
		"2026-10-25 08:29:59+00":      {"sg-temp ResourceDiscovered", "sg-web OK", "vol-1 ResourceDiscovered"},
		"2026-10-25 08:30:00+00":      {"sg-web OK", "vol-1 ResourceDiscovered"},
		"2026-11-30 00:00:00+00":      {"bucket-x ResourceDiscovered", "sg-late ResourceDiscovered", "sg-web OK", "vol-doc OK"},
	} {
		got := cfgQuery(t, db, `SELECT resource_id, status FROM config_state_at(CAST(? AS TIMESTAMPTZ)) ORDER BY 1`, ts)
		if !slices.Equal(got, want) {
			t.Errorf("state at %s: %v, want %v", ts, got, want)
		}
	}

	// config_latest: the current version of what still exists.
	got = cfgQuery(t, db, `SELECT resource_id, strftime(capture_time, '%m-%d'), configuration->>'$.ipPermissions' FROM config_latest ORDER BY 1`)
	want = []string{"bucket-x 10-28 <nil>", "sg-late 11-01 <nil>", "sg-web 11-02 []", "vol-doc 10-30 <nil>"}
	if !slices.Equal(got, want) {
		t.Errorf("config_latest:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The manifest tells the kinds apart.
	got = cfgQuery(t, db, `SELECT log_type, status, count(*), sum(rows), sum(skipped_records) FROM ingest_objects GROUP BY ALL ORDER BY ALL`)
	want = []string{
		"config loaded 1 0 1",
		"config_history failed 1 0 0",
		"config_history loaded 12 12 0",
		"config_oversized_item loaded 1 1 0",
		"config_snapshot loaded 2 4 0",
		"config_writability_check skipped 1 0 0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("manifest:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := store.opened["AWSLogs/"+cfgAcct+"/Config/ConfigWritabilityCheckFile"]; n != 0 {
		t.Errorf("writability check read %d times", n)
	}
	var msg string
	db.QueryRow(`SELECT error FROM ingest_objects WHERE key LIKE 'notifications/%'`).Scan(&msg)
	if !strings.Contains(msg, "OversizedConfigurationItemChangeNotification for AWS::EC2::SecurityGroup sg-web") {
		t.Errorf("notification recorded as %q", msg)
	}

	// A second run reads nothing and changes nothing.
	before, _ := dump(t, db, "SELECT * FROM config_items ORDER BY ALL")
	again := run(t, db, store, nil)
	if again.Loaded != 0 || again.Duplicates != 0 {
		t.Errorf("second run loaded %d, removed %d", again.Loaded, again.Duplicates)
	}
	if after, _ := dump(t, db, "SELECT * FROM config_items ORDER BY ALL"); before != after {
		t.Error("a second run changed config_items")
	}
}

// cfgQuery returns each row's columns joined by spaces (NULL as <nil>).
func cfgQuery(t *testing.T, db *duck.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Date and region filters prune Config's unpadded day folders like any
// other: only 20 October's folders are listed and read.
func TestRunConfigFilterPrunes(t *testing.T) {
	db := openDB(t)
	store := cfgArchive()
	day := cfgAt("2026-10-20T00:00:00Z")
	sum := run(t, db, store, func(c *Config) {
		c.Filter.Since, c.Filter.Until = day, day
		c.Filter.Regions = map[string]bool{"eu-west-1": true}
	})
	// The history file and the oversized item of 10-20; the notification
	// outside AWSLogs/ has no date and passes; the writability check is
	// recorded.
	if sum.Loaded != 3 || sum.Skipped != 1 || sum.Failed != 0 {
		t.Errorf("loaded %d, skipped %d, failed %d; want 3, 1, 0", sum.Loaded, sum.Skipped, sum.Failed)
	}
	got := cfgQuery(t, db, `SELECT resource_id, status FROM config_items ORDER BY 1`)
	if !slices.Equal(got, []string{"sg-web OK"}) {
		t.Errorf("loaded %v, want sg-web's 10-20 version once", got)
	}
	for _, p := range store.listed {
		if strings.Contains(p, "/2026/10/2/") || strings.Contains(p, "/2026/11/") || strings.Contains(p, "us-west-2") {
			t.Errorf("listed %s, outside the filter", p)
		}
	}
}
