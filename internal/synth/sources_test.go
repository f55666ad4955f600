package synth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDigests(t *testing.T) {
	f := demoFixture(t)
	type digest struct {
		AwsAccountID       string  `json:"awsAccountId"`
		Start              string  `json:"digestStartTime"`
		End                string  `json:"digestEndTime"`
		Bucket             string  `json:"digestS3Bucket"`
		Object             string  `json:"digestS3Object"`
		PrevObject         *string `json:"previousDigestS3Object"`
		PrevHash           *string `json:"previousDigestHashValue"`
		PrevSig            *string `json:"previousDigestSignature"`
		PublicKeyFingerpnt string  `json:"digestPublicKeyFingerprint"`
		LogFiles           []struct {
			Object string `json:"s3Object"`
			Hash   string `json:"hashValue"`
			Algo   string `json:"hashAlgorithm"`
			Newest string `json:"newestEventTime"`
			Oldest string `json:"oldestEventTime"`
		} `json:"logFiles"`
	}
	listed := map[string]int{}
	chains := map[string][]string{} // folder prefix up to region -> digest keys
	bodies := map[string][]byte{}
	for key, b := range f.store.objs {
		if !layoutRE[KindCloudTrailDigest].MatchString(key) {
			continue
		}
		body := gunzip(t, key, b)
		bodies[key] = body
		var d digest
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if d.Object != key || !strings.Contains(key, "/"+d.AwsAccountID+"/") || len(d.PublicKeyFingerpnt) != 32 {
			t.Errorf("%s: digest names %q, account %s", key, d.Object, d.AwsAccountID)
		}
		start, _ := time.Parse(time.RFC3339, d.Start)
		end, _ := time.Parse(time.RFC3339, d.End)
		if end.Sub(start) != time.Hour || !strings.Contains(key, end.Format("20060102T150405Z")) {
			t.Errorf("%s: window %s..%s", key, d.Start, d.End)
		}
		for _, lf := range d.LogFiles {
			listed[lf.Object]++
			obj, ok := f.store.objs[lf.Object]
			if !ok {
				t.Errorf("%s lists a missing log file %s", key, lf.Object)
				continue
			}
			// The hash is over the uncompressed log file, as AWS computes it.
			sum := sha256.Sum256(gunzip(t, lf.Object, obj))
			if lf.Algo != "SHA-256" || lf.Hash != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: wrong hash for %s", key, lf.Object)
			}
			stamp := layoutRE[KindCloudTrail].FindStringSubmatch(lf.Object)[8]
			delivered, _ := time.Parse("20060102T1504Z", stamp)
			if delivered.Before(start.Truncate(time.Minute)) || !delivered.Before(end) {
				t.Errorf("%s: log file delivered at %s listed in %s..%s", key, stamp, d.Start, d.End)
			}
		}
		chain := key[:strings.LastIndex(key, "/CloudTrail-Digest/")] + "/" + layoutRE[KindCloudTrailDigest].FindStringSubmatch(key)[2]
		chains[chain] = append(chains[chain], key)
	}
	for key := range f.store.objs {
		if layoutRE[KindCloudTrail].MatchString(key) && !isJunk(f.m, key) && listed[key] != 1 {
			t.Errorf("log file %s listed in %d digests", key, listed[key])
		}
	}
	// Each account-region has one unbroken chain of hourly digests.
	for chain, keys := range chains {
		slices.SortFunc(keys, func(a, b string) int {
			return strings.Compare(a[strings.LastIndex(a, "_"):], b[strings.LastIndex(b, "_"):])
		})
		for i, k := range keys {
			var d digest
			json.Unmarshal(bodies[k], &d)
			if i == 0 {
				if d.PrevObject != nil || d.PrevHash != nil {
					t.Errorf("%s: first digest of %s has a predecessor", k, chain)
				}
				continue
			}
			sum := sha256.Sum256(bodies[keys[i-1]])
			if d.PrevObject == nil || *d.PrevObject != keys[i-1] || d.PrevHash == nil || *d.PrevHash != hex.EncodeToString(sum[:]) || d.PrevSig == nil || len(*d.PrevSig) != 512 {
				t.Errorf("%s: broken chain after %s", k, keys[i-1])
			}
		}
		if want := f.cfg.Days * 24; len(keys) < want || len(keys) > want+4 {
			t.Errorf("%s: %d digests for %d days", chain, len(keys), f.cfg.Days)
		}
	}
}

func isJunk(m *Manifest, key string) bool {
	return slices.ContainsFunc(m.Junk, func(j JunkObject) bool { return j.Key == key })
}

func TestInsights(t *testing.T) {
	f := demoFixture(t)
	n := 0
	for key, b := range f.store.objs {
		if !layoutRE[KindCloudTrailInsight].MatchString(key) {
			continue
		}
		var doc struct {
			Records []map[string]any
		}
		if err := json.Unmarshal(gunzip(t, key, b), &doc); err != nil {
			t.Fatal(err)
		}
		for _, r := range doc.Records {
			n++
			det, _ := r["insightDetails"].(map[string]any)
			if r["eventType"] != "AwsCloudTrailInsight" || r["eventCategory"] != "Insight" || r["userIdentity"] != nil || det == nil || det["insightType"] == nil {
				t.Errorf("%s: not an insight event: %v", key, r)
			}
		}
	}
	if int64(n) != f.m.InsightEvents || n == 0 {
		t.Errorf("insight events: manifest %d, files %d", f.m.InsightEvents, n)
	}
}

func TestIncidents(t *testing.T) {
	f := demoFixture(t)
	evs := f.events(t)
	byID := map[string]ctEvent{}
	for _, e := range evs {
		byID[e.EventID] = e
	}
	get := func(in Incident) []ctEvent {
		var out []ctEvent
		for _, id := range in.EventIDs {
			e, ok := byID[id]
			if !ok {
				t.Fatalf("%s: event %s not in any object", in.ID, id)
			}
			if e.Recipient != in.Account {
				t.Errorf("%s: event %s in account %s, incident says %s", in.ID, id, e.Recipient, in.Account)
			}
			out = append(out, e)
		}
		return out
	}
	ids := map[string]int{}
	for _, in := range append(f.m.Incidents, f.m.Benign...) {
		ids[in.ID]++
		if in.Account == "" || in.Region == "" || in.Description == "" || in.Time.IsZero() {
			t.Errorf("%s: incomplete: %+v", in.ID, in)
		}
		evs := get(in)
		if len(evs) > 0 && !evs[0].time.Equal(in.Time) {
			t.Errorf("%s: Time %s, first event %s", in.ID, in.Time, evs[0].time)
		}
	}
	for _, id := range []string{"root_console_login", "console_brute_force", "cloudtrail_tampering", "sg_open_ssh", "sg_open_rdp",
		"access_key_for_other_user", "admin_policy_attached", "kms_key_deletion", "s3_bucket_public", "recon_access_denied",
		"config_recorder_stopped", "network_acl_change", "route_table_change", "internet_gateway_change", "vpc_change",
		"leave_org_attempt", "vpc_flow_egress_burst", "vpc_flow_port_scan"} {
		if ids[id] == 0 {
			t.Errorf("incident %s missing", id)
		}
	}
	for _, id := range []string{"sg_ingress_internal", "routine_put_role_policy", "sso_console_login", "console_login_typo",
		"no_such_bucket_policy", "throttling_burst", "root_console_login_mfa"} {
		if ids[id] == 0 {
			t.Errorf("benign look-alike %s missing", id)
		}
	}
	in := func(id string) Incident {
		x, ok := f.m.Incident(id)
		if !ok {
			for _, b := range f.m.Benign {
				if b.ID == id {
					return b
				}
			}
			t.Fatalf("%s missing", id)
		}
		return x
	}
	add := func(e ctEvent) map[string]string {
		var m map[string]string
		json.Unmarshal(e.AdditionalData, &m)
		return m
	}

	// Root console login without MFA, then root calls with a key for root.
	root := get(in("root_console_login"))
	if e := root[0]; e.EventName != "ConsoleLogin" || e.UserIdentity.Type != "Root" || add(e)["MFAUsed"] != "No" ||
		string(e.ResponseElems) != `{"ConsoleLogin":"Success"}` || e.SourceIP != rootIP {
		t.Errorf("root login: %s", e.raw)
	}
	last := root[len(root)-1]
	if last.EventName != "CreateAccessKey" || string(last.RequestParams) != "null" || last.UserIdentity.Type != "Root" {
		t.Errorf("root key: %s", last.raw)
	}

	// Brute force: 12 failures from one address in 10 minutes, then success without MFA.
	bf := get(in("console_brute_force"))
	if len(bf) != 13 || bf[11].time.Sub(bf[0].time) > 10*time.Minute {
		t.Fatalf("brute force: %d events over %s", len(bf), bf[len(bf)-1].time.Sub(bf[0].time))
	}
	for i, e := range bf {
		ui := e.UserIdentity
		if e.SourceIP != bruteIP || ui.UserName != "bob" || e.EventName != "ConsoleLogin" {
			t.Errorf("brute force event %d: %s", i, e.raw)
		}
		if i < 12 {
			if e.ErrorCode != nil || e.ErrorMessage == nil || *e.ErrorMessage != "Failed authentication" || ui.Arn != nil ||
				ui.AccessKeyID == nil || *ui.AccessKeyID != "" || string(e.ResponseElems) != `{"ConsoleLogin":"Failure"}` {
				t.Errorf("failed login %d has the wrong shape: %s", i, e.raw)
			}
		} else if add(e)["MFAUsed"] != "No" || ui.Arn == nil || string(e.ResponseElems) != `{"ConsoleLogin":"Success"}` {
			t.Errorf("final login: %s", e.raw)
		}
	}
	if e := get(in("admin_policy_attached"))[0]; !bytes.Contains(e.RequestParams, []byte(`"policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"`)) ||
		!bytes.Contains(e.RequestParams, []byte(`"userName":"bob"`)) {
		t.Errorf("admin policy: %s", e.raw)
	}

	names := func(es []ctEvent) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.EventName)
		}
		return out
	}
	if got := names(get(in("cloudtrail_tampering"))); !slices.Equal(got, []string{"StopLogging", "UpdateTrail", "PutEventSelectors"}) {
		t.Errorf("tampering: %v", got)
	}
	if got := names(get(in("kms_key_deletion"))); !slices.Equal(got, []string{"DisableKey", "ScheduleKeyDeletion"}) {
		t.Errorf("kms: %v", got)
	}
	if got := names(get(in("config_recorder_stopped"))); !slices.Equal(got, []string{"StopConfigurationRecorder", "DeleteDeliveryChannel"}) {
		t.Errorf("config: %v", got)
	}
	s3 := get(in("s3_bucket_public"))
	if names(s3)[0] != "DeleteBucketPublicAccessBlock" || !bytes.Contains(s3[1].RequestParams, []byte(`"Principal":"*"`)) {
		t.Errorf("s3 public: %v", names(s3))
	}
	if e := get(in("leave_org_attempt"))[0]; e.EventName != "LeaveOrganization" || e.ErrorCode == nil || *e.ErrorCode != "AccessDenied" {
		t.Errorf("leave org: %s", e.raw)
	}
	if e := get(in("access_key_for_other_user"))[0]; e.UserIdentity.UserName != "carol" || !bytes.Contains(e.RequestParams, []byte(`"userName":"ci-deployer"`)) {
		t.Errorf("access key for other user: %s", e.raw)
	}

	// Security groups: the items/ipRanges shape, and the internal negative control.
	type perms struct {
		IPPermissions struct {
			Items []struct {
				FromPort int `json:"fromPort"`
				IPRanges struct {
					Items []struct{ CidrIP string } `json:"items"`
				} `json:"ipRanges"`
				IPv6Ranges struct {
					Items []struct{ CidrIpv6 string } `json:"items"`
				} `json:"ipv6Ranges"`
			} `json:"items"`
		} `json:"ipPermissions"`
	}
	sg := func(id string) perms {
		var p perms
		if err := json.Unmarshal(get(in(id))[0].RequestParams, &p); err != nil || len(p.IPPermissions.Items) != 1 {
			t.Fatalf("%s: %v", id, err)
		}
		return p
	}
	if p := sg("sg_open_ssh").IPPermissions.Items[0]; p.FromPort != 22 || p.IPRanges.Items[0].CidrIP != "0.0.0.0/0" {
		t.Errorf("ssh: %+v", p)
	}
	if p := sg("sg_open_rdp").IPPermissions.Items[0]; p.FromPort != 3389 || p.IPv6Ranges.Items[0].CidrIpv6 != "::/0" {
		t.Errorf("rdp: %+v", p)
	}
	if p := sg("sg_ingress_internal").IPPermissions.Items[0]; p.FromPort != 443 || p.IPRanges.Items[0].CidrIP != "10.0.0.0/8" {
		t.Errorf("internal ingress: %+v", p)
	}

	// Recon: 40+ calls in 30 minutes from a new address, mostly denied, in
	// a region nobody uses; the same role's routine calls never look like it.
	rc := in("recon_access_denied")
	re := get(rc)
	denied, far := 0, 0
	for _, e := range re {
		if e.ErrorCode != nil && (strings.Contains(*e.ErrorCode, "AccessDenied") || *e.ErrorCode == "Client.UnauthorizedOperation") {
			denied++
		}
		if e.AwsRegion == "ap-southeast-1" {
			far++
		}
		if e.SourceIP != reconIP {
			t.Errorf("recon from %s", e.SourceIP)
		}
	}
	if len(re) < 40 || denied*4 < len(re)*3 || far*2 < len(re) || re[len(re)-1].time.Sub(re[0].time) > 30*time.Minute {
		t.Errorf("recon: %d calls, %d denied, %d in ap-southeast-1, over %s", len(re), denied, far, re[len(re)-1].time.Sub(re[0].time))
	}
	for _, e := range evs {
		ui := e.UserIdentity
		if ui.Session != nil && ui.Session.Issuer.UserName == "app-backend-role" && !slices.Contains(rc.EventIDs, e.EventID) &&
			(e.SourceIP == reconIP || e.AwsRegion == "ap-southeast-1" || strings.Contains(e.UserAgent, "kali")) {
			t.Errorf("routine app-backend-role call looks like the recon: %s", e.raw)
		}
	}

	// Look-alikes: SSO sign-in without MFA flag but with SamlProviderArn;
	// a single typo; internal SG ingress.
	if e := get(in("sso_console_login"))[0]; add(e)["MFAUsed"] != "No" || add(e)["SamlProviderArn"] == "" || e.UserIdentity.Type != "AssumedRole" {
		t.Errorf("sso login: %s", e.raw)
	}
	if ty := get(in("console_login_typo")); len(ty) != 2 || ty[0].ErrorMessage == nil || add(ty[1])["MFAUsed"] != "Yes" {
		t.Errorf("typo: %v", names(ty))
	}
	for _, e := range get(in("throttling_burst")) {
		if e.ErrorCode == nil || *e.ErrorCode != "ThrottlingException" {
			t.Errorf("throttling: %s", e.raw)
		}
	}
}

func TestConfigHistory(t *testing.T) {
	f := demoFixture(t)
	sc := scenarioOf(t, f)
	var items int64
	var sawOpen, sawDeleted, sawPublic bool
	var firstOpen time.Time
	var firstRelated []string
	for key, b := range f.store.objs {
		isHist := layoutRE[KindConfigHistory].MatchString(key)
		if !isHist && !layoutRE[KindConfigSnapshot].MatchString(key) {
			continue
		}
		var doc struct {
			FileVersion        string `json:"fileVersion"`
			ConfigSnapshotID   string `json:"configSnapshotId"`
			ConfigurationItems []struct {
				Version       string          `json:"configurationItemVersion"`
				CaptureTime   string          `json:"configurationItemCaptureTime"`
				StateID       int64           `json:"configurationStateId"`
				Account       string          `json:"awsAccountId"`
				Status        string          `json:"configurationItemStatus"`
				Type          string          `json:"resourceType"`
				ID            string          `json:"resourceId"`
				Region        string          `json:"awsRegion"`
				Configuration json.RawMessage `json:"configuration"`
				Supplementary map[string]any  `json:"supplementaryConfiguration"`
				Related       []string        `json:"relatedEvents"`
			} `json:"configurationItems"`
		}
		if err := json.Unmarshal(gunzip(t, key, b), &doc); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if doc.FileVersion != "1.0" || (!isHist && doc.ConfigSnapshotID == "") {
			t.Errorf("%s: fileVersion %q snapshot id %q", key, doc.FileVersion, doc.ConfigSnapshotID)
		}
		for _, it := range doc.ConfigurationItems {
			ct, err := time.Parse(time.RFC3339, it.CaptureTime)
			if it.Version != "1.3" || err != nil || it.StateID != ct.UnixMilli() || !strings.Contains(key, "/"+it.Account+"/") {
				t.Errorf("%s: bad item %s %s %s", key, it.Type, it.ID, it.CaptureTime)
			}
			if isHist && !strings.Contains(key, "_ConfigHistory_"+it.Type+"_") {
				t.Errorf("%s holds a %s", key, it.Type)
			}
			if it.Type == "AWS::IAM::User" && it.Region != "global" {
				t.Errorf("IAM user in region %q", it.Region)
			}
			if !isHist {
				continue
			}
			items++
			if it.Account == sc.dev && strings.Contains(key, "/Config/"+sc.devRegion+"/") && ct.After(sc.recorderStop) {
				t.Errorf("%s: item after the recorder was stopped", key)
			}
			var sgc struct {
				IPPermissions []struct{ IPRanges []string } `json:"ipPermissions"`
			}
			json.Unmarshal(it.Configuration, &sgc)
			if it.ID == sc.bastionSG && len(sgc.IPPermissions) > 0 && slices.Contains(sgc.IPPermissions[0].IPRanges, "0.0.0.0/0") {
				if !sawOpen || ct.Before(firstOpen) {
					firstOpen, firstRelated = ct, it.Related
				}
				sawOpen = true
			}
			if it.Status == "ResourceDeleted" {
				sawDeleted = string(it.Configuration) == "null"
			}
			if it.Type == "AWS::S3::Bucket" && it.Supplementary["BucketPolicy"] != nil {
				if p, _ := it.Supplementary["BucketPolicy"].(map[string]any)["policyText"].(string); strings.Contains(p, `"Principal":"*"`) {
					sawPublic = it.Supplementary["PublicAccessBlockConfiguration"] == nil
				}
			}
		}
	}
	// The first version with 22 open to the world follows the CloudTrail
	// event and names it.
	if firstOpen.Before(sc.sshOpen) || firstOpen.After(sc.sshOpen.Add(10*time.Minute)) || !slices.Equal(firstRelated, []string{sc.sshEvent}) {
		t.Errorf("bastion-sg first open at %s (event at %s), related %v", firstOpen, sc.sshOpen, firstRelated)
	}
	if items != f.m.ConfigItems || items == 0 {
		t.Errorf("config items: manifest %d, files %d", f.m.ConfigItems, items)
	}
	if !sawOpen || !sawDeleted || !sawPublic {
		t.Errorf("missing versions: sg opened %v, deleted %v, bucket public %v", sawOpen, sawDeleted, sawPublic)
	}
}

type scenarioFacts struct {
	dev, devRegion        string
	recorderStop, sshOpen time.Time
	bastionSG, sshEvent   string
}

// scenarioOf recovers what the incidents did from the manifest and events.
func scenarioOf(t *testing.T, f fixture) scenarioFacts {
	var s scenarioFacts
	stop, _ := f.m.Incident("config_recorder_stopped")
	ssh, _ := f.m.Incident("sg_open_ssh")
	s.dev, s.devRegion, s.recorderStop = stop.Account, stop.Region, stop.Time
	s.sshOpen, s.sshEvent = ssh.Time, ssh.EventIDs[0]
	for _, e := range f.events(t) {
		if e.EventID == s.sshEvent {
			var p struct{ GroupID string }
			json.Unmarshal(e.RequestParams, &p)
			s.bastionSG = p.GroupID
		}
	}
	return s
}

func TestCredentialReports(t *testing.T) {
	f := demoFixture(t)
	root, _ := f.m.Incident("root_console_login")
	var rows int64
	checked := 0
	for key, b := range f.store.objs {
		if !layoutRE[KindCredentialReport].MatchString(key) {
			continue
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if strings.Join(recs[0], ",") != credHeader || len(recs[0]) != 22 || bytes.HasSuffix(b, []byte("\n")) {
			t.Fatalf("%s: header %v", key, recs[0])
		}
		rows += int64(len(recs) - 1)
		day, _ := time.Parse("2006-01-02", key[len(key)-14:len(key)-4])
		byUser := map[string][]string{}
		for _, r := range recs[1:] {
			byUser[r[0]] = r
		}
		rt := byUser["<root_account>"]
		if rt == nil || rt[3] != "not_supported" || rt[5] != "not_supported" {
			t.Errorf("%s: root row %v", key, rt)
		}
		if bob := byUser["bob"]; bob[3] != "true" || bob[7] != "false" {
			t.Errorf("%s: bob should have a password and no MFA: %v", key, bob)
		}
		if ci := byUser["ci-deployer"]; ci[3] != "false" || ci[4] != "N/A" {
			t.Errorf("%s: ci-deployer has no password: %v", key, ci)
		}
		if bg := byUser["breakglass-admin"]; bg[8] != "true" || bg[10] != "N/A" {
			t.Errorf("%s: break-glass key never used: %v", key, bg)
		}
		if strings.Contains(key, "/"+root.Account+"/") && day.After(root.Time) {
			checked++
			if rt[7] != "false" || rt[8] != "true" || !strings.HasPrefix(rt[4], root.Time.Format("2006-01-02T15:04")) {
				t.Errorf("%s: root after the incident: %v", key, rt)
			}
		}
	}
	if rows != f.m.CredentialReportRows || rows == 0 || checked == 0 {
		t.Errorf("rows: manifest %d, files %d; reports after root incident %d", f.m.CredentialReportRows, rows, checked)
	}
}

func TestFlowLogs(t *testing.T) {
	f := demoFixture(t)
	ssh, _ := f.m.Incident("sg_open_ssh")
	var records int64
	var sshIn, nodata, hive, custom int
	for key, b := range f.store.objs {
		if !layoutRE[KindVPCFlow].MatchString(key) {
			continue
		}
		if strings.Contains(key, "aws-account-id=") {
			hive++
		}
		sc := bufio.NewScanner(bytes.NewReader(gunzip(t, key, b)))
		sc.Scan()
		header := strings.Fields(sc.Text())
		if header[0] != "version" || header[len(header)-1] == "" {
			t.Fatalf("%s: header %q", key, sc.Text())
		}
		if len(header) == 29 {
			custom++
		}
		col := map[string]int{}
		for i, h := range header {
			col[h] = i
		}
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			records++
			if len(fs) != len(header) {
				t.Fatalf("%s: %d fields for %d columns: %q", key, len(fs), len(header), sc.Text())
			}
			if fs[col["log-status"]] != "OK" {
				nodata++
				if fs[col["srcaddr"]] != "-" || fs[col["action"]] != "-" {
					t.Errorf("%s: %s row with values: %q", key, fs[col["log-status"]], sc.Text())
				}
				continue
			}
			if fs[col["srcaddr"]] == sshIP && fs[col["dstport"]] == "22" && fs[col["action"]] == "ACCEPT" {
				sshIn++
				if start, _ := strconv.ParseInt(fs[col["start"]], 10, 64); start < ssh.Time.Unix() {
					t.Errorf("SSH from the internet accepted before the group was opened: %q", sc.Text())
				}
			}
		}
	}
	if records != f.m.FlowRecords || records == 0 {
		t.Errorf("flow records: manifest %d, files %d", f.m.FlowRecords, records)
	}
	if sshIn == 0 || nodata == 0 || hive == 0 || custom == 0 {
		t.Errorf("ssh accepted %d, NODATA/SKIPDATA %d, hive objects %d, v5 objects %d", sshIn, nodata, hive, custom)
	}
}

func TestJunk(t *testing.T) {
	f := demoFixture(t)
	if len(f.m.Junk) != 7 || f.m.Objects[KindJunk] != 7 {
		t.Fatalf("junk: %d listed, %d counted", len(f.m.Junk), f.m.Objects[KindJunk])
	}
	for _, j := range f.m.Junk {
		b, ok := f.store.objs[j.Key]
		if !ok || j.Problem == "" {
			t.Fatalf("%s: missing", j.Key)
		}
		zr, gzErr := gzip.NewReader(bytes.NewReader(b))
		var body []byte
		var readErr error
		if gzErr == nil {
			body, readErr = io.ReadAll(zr)
		}
		var doc struct{ Records []json.RawMessage }
		jsonErr := json.Unmarshal(body, &doc)
		switch {
		case strings.HasPrefix(j.Problem, "truncated"):
			if gzErr == nil && readErr == nil {
				t.Errorf("%s: reads whole", j.Key)
			}
		case strings.HasPrefix(j.Problem, "gzip of invalid JSON"):
			if readErr != nil || jsonErr == nil {
				t.Errorf("%s: %v %v", j.Key, readErr, jsonErr)
			}
		case strings.HasPrefix(j.Problem, "valid gzip and JSON"):
			if jsonErr != nil || doc.Records != nil {
				t.Errorf("%s: %v", j.Key, jsonErr)
			}
		case strings.HasPrefix(j.Problem, "empty"):
			if len(b) != 0 {
				t.Errorf("%s: %d bytes", j.Key, len(b))
			}
		case strings.HasPrefix(j.Problem, "plain text"), strings.HasPrefix(j.Problem, "a README"):
			if gzErr == nil {
				t.Errorf("%s: is gzip", j.Key)
			}
		case strings.HasPrefix(j.Problem, "record 3 of 5"):
			if jsonErr != nil || len(doc.Records) != 5 || j.ValidEvents != 4 {
				t.Fatalf("%s: %v", j.Key, jsonErr)
			}
			var r struct {
				EventTime any
				ReadOnly  any
			}
			json.Unmarshal(doc.Records[2], &r)
			if _, num := r.EventTime.(float64); !num {
				t.Errorf("eventTime is %T", r.EventTime)
			}
			if _, str := r.ReadOnly.(string); !str {
				t.Errorf("readOnly is %T", r.ReadOnly)
			}
		default:
			t.Errorf("%s: untested problem %q", j.Key, j.Problem)
		}
	}
}

// TestShapes checks the "many tiny objects" and "large file" shapes.
func TestShapes(t *testing.T) {
	for _, per := range []int{1, 1500} {
		cfg := Config{Seed: 7, Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Days: 1, Accounts: 1, Regions: []string{"eu-west-1"},
			EventsPerDay: 6000, EventsPerFile: per, CloudTrail: true, Prefix: "trail-prefix/"}
		s := newMemStore()
		m, err := Generate(context.Background(), cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		sizes := []int{}
		for key, b := range s.objs {
			if !strings.HasPrefix(key, "trail-prefix/AWSLogs/") || strings.Contains(key, "/o-") {
				t.Fatalf("key %s: prefix or org segment wrong", key)
			}
			if !layoutRE[KindCloudTrail].MatchString(strings.TrimPrefix(key, "trail-prefix/")) {
				continue
			}
			var doc struct{ Records []json.RawMessage }
			json.Unmarshal(gunzip(t, key, b), &doc)
			sizes = append(sizes, len(doc.Records))
		}
		slices.Sort(sizes)
		maxDup := int(m.DuplicateDeliveries)
		if sizes[len(sizes)-1] > per+maxDup || (per == 1500 && sizes[len(sizes)-1] < per) || len(sizes) < int(m.Events)/per {
			t.Errorf("events per file %d: objects hold %d..%d events (%d objects)", per, sizes[0], sizes[len(sizes)-1], len(sizes))
		}
	}
}

func TestDirWriter(t *testing.T) {
	dir := t.TempDir()
	w := DirWriter(dir)
	ctx := context.Background()
	key := "AWSLogs/123456789012/Config/us-east-1/2026/9/1/ConfigHistory/x_AWS::EC2::Volume_1.json.gz"
	if err := w.Put(ctx, key, strings.NewReader("hello"), 5); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil || string(b) != "hello" {
		t.Fatalf("%q %v", b, err)
	}
	if err := w.Put(ctx, "a/b.txt", strings.NewReader("short"), 9); err == nil {
		t.Error("size mismatch accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "b.txt")); !os.IsNotExist(err) {
		t.Error("a failed put left a file")
	}
	for _, bad := range []string{"", "/abs", "../up", "a/../../b", "a//b", "dir/"} {
		if err := w.Put(ctx, bad, strings.NewReader(""), 0); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".synth-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// BenchmarkGenerate measures CloudTrail generation (JSON, gzip, digests)
// into a Putter that discards, in events per second.
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name   string
		per    int
		perDay int
	}{{"realistic", 0, 500_000}, {"large_files", 2000, 500_000}, {"tiny_objects", 1, 50_000}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := Config{Seed: 1, Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Days: 1, Accounts: 4,
				Regions: []string{"us-east-1", "eu-west-1", "eu-central-1"}, OrgID: DemoOrgID,
				EventsPerDay: bc.perDay, EventsPerFile: bc.per, CloudTrail: true}
			var events, bytes int64
			start := time.Now()
			for b.Loop() {
				m, err := Generate(context.Background(), cfg, discardPutter{})
				if err != nil {
					b.Fatal(err)
				}
				events += m.Events
				bytes += m.Bytes
			}
			el := time.Since(start).Seconds()
			b.ReportMetric(float64(events)/el, "events/s")
			b.ReportMetric(float64(bytes)/el/1e6, "gzMB/s")
		})
	}
}

type discardPutter struct{}

func (discardPutter) Put(_ context.Context, _ string, body io.Reader, _ int64) error {
	_, err := io.Copy(io.Discard, body)
	return err
}
