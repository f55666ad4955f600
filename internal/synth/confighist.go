package synth

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// AWS Config delivers, per account and region, one history file per
// resource type and six-hour window with changes, a snapshot now and then,
// and a writability check object. Items use the current schema
// (configurationItemVersion 1.3, configuration as an object). Resources are
// the ones CloudTrail events name, and their versions follow the incidents:
// the security group gains 0.0.0.0/0 on 22 minutes after the
// AuthorizeSecurityGroupIngress event, with that event in relatedEvents.

type cfgRes struct {
	typ, id, name, arn string
	awsRegion, az      string
	created            int64                          // 0: resourceCreationTime null
	render             func(b []byte, t int64) []byte // configuration, supplementaryConfiguration, tags
	rels               string                         // relationships JSON
	changes            []cfgChange
	routine            []int64 // times of routine changes (a tag records the last one)
}

type cfgChange struct {
	t       int64
	status  string
	related []string
}

const cfgWindow = 6 * 3600

func (w *worker) configUnit(a *acct, r *region) error {
	gen, o := w.gen, w.gen.o
	rg := newRNG(o.seed, streamConfig, uint64(a.idx), uint64(r.idx))
	start, end := o.cfg.startSec(), o.cfg.endSec()
	stop := end
	sc := &gen.plan.sc
	if sc.recorderStop > 0 && a == sc.dev && r == sc.devReg {
		stop = sc.recorderStop
	}
	res := w.gen.configResources(a, r)
	for _, x := range res {
		x.changes = append(x.changes, cfgChange{t: start + int64(rg.between(300, 5400)), status: "ResourceDiscovered"})
		for range rg.intn(3) {
			t := start + int64(rg.intn(int(end-start)))
			x.routine = append(x.routine, t)
			x.changes = append(x.changes, cfgChange{t: t, status: "OK"})
		}
		slices.Sort(x.routine)
	}
	gen.configIncidents(a, r, res)
	type item struct {
		t   int64
		res *cfgRes
		ch  cfgChange
	}
	var items []item
	for _, x := range res {
		deleted := false
		slices.SortFunc(x.changes, func(p, q cfgChange) int { return int(p.t - q.t) })
		for _, ch := range x.changes {
			if deleted || ch.t >= stop || ch.t >= end {
				break
			}
			items = append(items, item{t: ch.t, res: x, ch: ch})
			deleted = ch.status == "ResourceDeleted"
		}
	}
	slices.SortStableFunc(items, func(p, q item) int {
		if p.t != q.t {
			return int(p.t - q.t)
		}
		return strings.Compare(p.res.typ, q.res.typ)
	})

	off := int64(hash(uint64(o.seed), strHash(a.ID), strHash(r.name), 5) % 3600)
	for i := 0; i < len(items); {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		ws := (items[i].t-off)/cfgWindow*cfgWindow + off
		j := i
		for j < len(items) && items[j].t < ws+cfgWindow {
			j++
		}
		group := items[i:j]
		slices.SortStableFunc(group, func(p, q item) int { return strings.Compare(p.res.typ, q.res.typ) })
		for k := 0; k < len(group); {
			typ := group[k].res.typ
			l := k
			b := append(w.body[:0], `{"fileVersion":"1.0","configurationItems":[`...)
			for l < len(group) && group[l].res.typ == typ {
				if l > k {
					b = append(b, ',')
				}
				b = appendCfgItem(b, a, group[l].res, group[l].t, group[l].ch)
				l++
			}
			b = append(b, "]}"...)
			w.body = b
			w.m.ConfigItems += int64(l - k)
			key := o.cfg.Prefix + "AWSLogs/" + a.ID + "/Config/" + r.name + "/" + string(appendDatePath(nil, ws+cfgWindow, false)) +
				"/ConfigHistory/" + a.ID + "_Config_" + r.name + "_ConfigHistory_" + typ + "_" +
				string(appendStamp(nil, ws, true)) + "_" + string(appendStamp(nil, ws+cfgWindow, true)) + "_1.json.gz"
			if err := w.send(key, KindConfigHistory, w.comp.gzip(b)); err != nil {
				return err
			}
			k = l
		}
		i = j
	}

	// Snapshots every two weeks from the account's home region.
	if r.name != a.home {
		return nil
	}
	for d := 0; d < o.cfg.Days; d += 14 {
		t := start + int64(d)*86400 + 4*3600 + off
		if t >= stop {
			break
		}
		id := rg.uuid()
		b := append(w.body[:0], `{"fileVersion":"1.0","configSnapshotId":"`...)
		b = append(b, id...)
		b = append(b, `","configurationItems":[`...)
		n := 0
		for _, x := range res {
			// A snapshot repeats each resource's current version as the
			// history delivered it: its own capture time, status and
			// related events, not the snapshot's time.
			ch, ok := x.versionAt(t)
			if !ok || x.deletedBy(t) {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			b = appendCfgItem(b, a, x, ch.t, ch)
			n++
		}
		b = append(b, "]}"...)
		w.body = b
		key := o.cfg.Prefix + "AWSLogs/" + a.ID + "/Config/" + r.name + "/" + string(appendDatePath(nil, t, false)) +
			"/ConfigSnapshot/" + a.ID + "_Config_" + r.name + "_ConfigSnapshot_" + string(appendStamp(nil, t, true)) + "_" + id + ".json.gz"
		if err := w.send(key, KindConfigSnapshot, w.comp.gzip(b)); err != nil {
			return err
		}
	}
	return nil
}

// versionAt is the latest version of x at or before t (x.changes sorted).
func (x *cfgRes) versionAt(t int64) (cfgChange, bool) {
	i, _ := slices.BinarySearchFunc(x.changes, t+1, func(c cfgChange, t int64) int { return cmp.Compare(c.t, t) })
	if i == 0 {
		return cfgChange{}, false
	}
	return x.changes[i-1], true
}

func (x *cfgRes) deletedBy(t int64) bool {
	for _, c := range x.changes {
		if c.status == "ResourceDeleted" && c.t <= t {
			return true
		}
	}
	return false
}

// configCheck writes the object AWS Config puts to test that it may write
// to the bucket. Every region's recorder writes the same key.
func (w *worker) configCheck(a *acct) error {
	key := w.gen.o.cfg.Prefix + "AWSLogs/" + a.ID + "/Config/ConfigWritabilityCheckFile"
	buf := getBuf()
	buf.WriteString("This object was written by AWS Config to check write access to this bucket.\n")
	return w.send(key, KindConfigCheck, buf)
}

func appendCfgItem(b []byte, a *acct, x *cfgRes, t int64, ch cfgChange) []byte {
	ms := t*1000 + int64(hash(strHash(x.id), uint64(t))%1000)
	b = append(b, `{"relatedEvents":[`...)
	for i, e := range ch.related {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStr(b, e)
	}
	b = append(b, ']')
	if ch.status == "ResourceDeleted" {
		b = append(b, `,"relationships":[],"configuration":null,"supplementaryConfiguration":{},"tags":{}`...)
	} else {
		b = append(b, `,"relationships":`...)
		if x.rels == "" {
			b = append(b, "[]"...)
		} else {
			b = append(b, x.rels...)
		}
		b = append(b, ',')
		b = x.render(b, t)
	}
	b = append(b, `,"configurationItemVersion":"1.3","configurationItemCaptureTime":"`...)
	b = append(b, msTime(ms)...)
	b = append(b, `","configurationStateId":`...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, `,"awsAccountId":"`...)
	b = append(b, a.ID...)
	b = append(b, `","configurationItemStatus":"`...)
	b = append(b, ch.status...)
	b = append(b, `","resourceType":"`...)
	b = append(b, x.typ...)
	b = append(b, `","resourceId":`...)
	b = appendStr(b, x.id)
	b = append(b, `,"resourceName":`...)
	if x.name == "" {
		b = append(b, "null"...)
	} else {
		b = appendStr(b, x.name)
	}
	b = append(b, `,"ARN":`...)
	b = appendStr(b, x.arn)
	b = append(b, `,"awsRegion":"`...)
	b = append(b, x.awsRegion...)
	b = append(b, `","availabilityZone":"`...)
	b = append(b, x.az...)
	b = append(b, `","configurationStateMd5Hash":"","resourceCreationTime":`...)
	if x.created == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = append(b, msTime(x.created*1000)...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// lastChange is the latest routine change at or before t (a tag shows it,
// so that every version differs from the one before).
func (x *cfgRes) lastChange(t int64) string {
	last := ""
	for _, c := range x.routine {
		if c <= t {
			last = isoTime(c)[:10]
		}
	}
	return last
}

func appendTags(b []byte, x *cfgRes, t int64, kv ...string) []byte {
	if lc := x.lastChange(t); lc != "" {
		kv = append(kv, "last-reviewed", lc)
	}
	b = append(b, `,"tags":{`...)
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStr(b, kv[i])
		b = append(b, ':')
		b = appendStr(b, kv[i+1])
	}
	return append(b, '}')
}

// configResources lists what AWS Config records for an account in a
// region. IAM users are global: recorded once, in the global region, with
// awsRegion "global".
func (gen *generator) configResources(a *acct, r *region) []*cfgRes {
	o := gen.o
	sc := &gen.plan.sc
	env := envName(a)
	created := o.cfg.startSec() - int64(200+a.idx*37+r.idx*11)*86400
	var out []*cfgRes
	vpcRel := `[{"resourceId":"` + r.vpcID + `","resourceName":null,"resourceType":"AWS::EC2::VPC","name":"Is contained in Vpc"}]`

	for _, sg := range r.sgs {
		sg := sg
		x := &cfgRes{typ: "AWS::EC2::SecurityGroup", id: sg.id, name: sg.name, arn: "arn:aws:ec2:" + r.name + ":" + a.ID + ":security-group/" + sg.id,
			awsRegion: r.name, az: "Not Applicable", rels: vpcRel}
		x.render = func(b []byte, t int64) []byte {
			b = append(b, `"configuration":{"description":`...)
			b = appendStr(b, sg.desc)
			b = append(b, `,"groupName":`...)
			b = appendStr(b, sg.name)
			b = append(b, `,"ipPermissions":[`...)
			for i, rule := range sg.rules {
				if i > 0 {
					b = append(b, ',')
				}
				v4 := []string{rule.cidr}
				var v6 []string
				if sg == sc.bastionSG && sc.sshOpen > 0 && t >= sc.sshOpen && rule.from == 22 {
					v4 = append(v4, "0.0.0.0/0")
				}
				if sg == sc.winSG && sc.rdpOpen > 0 && t >= sc.rdpOpen && rule.from == 3389 {
					v6 = append(v6, "::/0")
				}
				b = append(b, `{"fromPort":`...)
				b = strconv.AppendInt(b, int64(rule.from), 10)
				b = append(b, `,"ipProtocol":"tcp","ipv6Ranges":[`...)
				for k, c := range v6 {
					if k > 0 {
						b = append(b, ',')
					}
					b = append(b, `{"cidrIpv6":"`+c+`"}`...)
				}
				b = append(b, `],"prefixListIds":[],"toPort":`...)
				b = strconv.AppendInt(b, int64(rule.to), 10)
				b = append(b, `,"userIdGroupPairs":[],"ipv4Ranges":[`...)
				for k, c := range v4 {
					if k > 0 {
						b = append(b, ',')
					}
					b = append(b, `{"cidrIp":"`+c+`"}`...)
				}
				b = append(b, `],"ipRanges":[`...)
				for k, c := range v4 {
					if k > 0 {
						b = append(b, ',')
					}
					b = append(b, `"`+c+`"`...)
				}
				b = append(b, "]}"...)
			}
			b = append(b, `],"ownerId":"`+a.ID+`","groupId":"`+sg.id+`","ipPermissionsEgress":[{"ipProtocol":"-1","ipv6Ranges":[],"prefixListIds":[],"userIdGroupPairs":[],"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}],"ipRanges":["0.0.0.0/0"]}],"tags":[],"vpcId":"`+r.vpcID+`"},"supplementaryConfiguration":{}`...)
			return appendTags(b, x, t, "managed-by", "terraform")
		}
		out = append(out, x)
	}

	for _, bk := range r.buckets {
		bk := bk
		owner := hexFrom(64, strHash(a.ID), 0x0b)
		x := &cfgRes{typ: "AWS::S3::Bucket", id: bk.name, name: bk.name, arn: "arn:aws:s3:::" + bk.name, awsRegion: r.name, az: "Regional", created: created + 3600}
		x.render = func(b []byte, t int64) []byte {
			public := sc.publicBucket == bk && sc.bucketPublic > 0 && t >= sc.bucketPublic
			b = append(b, `"configuration":{"name":"`+bk.name+`","owner":{"displayName":null,"id":"`+owner+`"},"creationDate":"`+msTime(x.created*1000)+`"},"supplementaryConfiguration":{"AccessControlList":`...)
			b = appendStr(b, `{"grantSet":null,"grantList":[{"grantee":{"id":"`+owner+`","displayName":null},"permission":"FullControl"}],"owner":{"displayName":null,"id":"`+owner+`"},"isRequesterCharged":false}`)
			b = append(b, `,"BucketAccelerateConfiguration":{"status":null},"BucketLoggingConfiguration":{"destinationBucketName":null,"logFilePrefix":null},"BucketPolicy":{"policyText":`...)
			if public {
				b = appendStr(b, `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bk.name+`/*"}]}`)
			} else {
				b = append(b, "null"...)
			}
			b = append(b, `},"BucketVersioningConfiguration":{"status":"`...)
			if bk.versioning {
				b = append(b, "Enabled"...)
			} else {
				b = append(b, "Off"...)
			}
			b = append(b, `","isMfaDeleteEnabled":null},"IsRequesterPaysEnabled":false`...)
			if bk.publicBlk && !public {
				b = append(b, `,"PublicAccessBlockConfiguration":{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":true,"restrictPublicBuckets":true}`...)
			}
			if bk.encrypted {
				b = append(b, `,"ServerSideEncryptionConfiguration":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms","kmsMasterKeyID":"arn:aws:kms:`+r.name+`:`+a.ID+`:key/`+r.keys[0].id+`"},"bucketKeyEnabled":true}]}`...)
			}
			b = append(b, '}')
			return appendTags(b, x, t, "env", env)
		}
		out = append(out, x)
	}

	for _, v := range r.volumes {
		v := v
		x := &cfgRes{typ: "AWS::EC2::Volume", id: v.id, arn: "arn:aws:ec2:" + r.name + ":" + a.ID + ":volume/" + v.id, awsRegion: r.name, az: v.az, created: created + 7200}
		if v.instance != "" {
			x.rels = `[{"resourceId":"` + v.instance + `","resourceName":null,"resourceType":"AWS::EC2::Instance","name":"Is attached to Instance"}]`
		}
		x.render = func(b []byte, t int64) []byte {
			b = append(b, `"configuration":{"attachments":[`...)
			state := "available"
			if v.instance != "" {
				state = "in-use"
				b = append(b, `{"attachTime":"`+msTime((x.created+60)*1000)+`","device":"/dev/xvda","instanceId":"`+v.instance+`","state":"attached","volumeId":"`+v.id+`","deleteOnTermination":true}`...)
			}
			b = append(b, `],"availabilityZone":"`+v.az+`","createTime":"`+msTime(x.created*1000)+`","encrypted":`...)
			b = strconv.AppendBool(b, v.encrypted)
			b = append(b, `,"kmsKeyId":`...)
			if v.encrypted {
				b = append(b, `"arn:aws:kms:`+r.name+`:`+a.ID+`:key/`+r.keys[0].id+`"`...)
			} else {
				b = append(b, "null"...)
			}
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, int64(v.size), 10)
			b = append(b, `,"snapshotId":"","state":"`+state+`","volumeId":"`+v.id+`","iops":3000,"tags":[],"volumeType":"gp3","multiAttachEnabled":false,"throughput":125},"supplementaryConfiguration":{}`...)
			return appendTags(b, x, t, "env", env)
		}
		out = append(out, x)
	}

	for _, db := range r.dbs {
		db := db
		rid := "db-" + strings.ToUpper(hexFrom(26, strHash(a.ID), strHash(db.id)))
		arn := "arn:aws:rds:" + r.name + ":" + a.ID + ":db:" + db.id
		x := &cfgRes{typ: "AWS::RDS::DBInstance", id: rid, name: db.id, arn: arn, awsRegion: r.name, az: r.azs[0], created: created + 10800,
			rels: `[{"resourceId":"` + r.sgs[5].id + `","resourceName":null,"resourceType":"AWS::EC2::SecurityGroup","name":"Is associated with SecurityGroup"}]`}
		x.render = func(b []byte, t int64) []byte {
			b = append(b, `"configuration":{"dBInstanceIdentifier":"`+db.id+`","dBInstanceClass":"`+db.class+`","engine":"postgres","engineVersion":"16.3","dBInstanceStatus":"available","masterUsername":"app","endpoint":{"address":"`+db.id+`.c`+hexFrom(11, strHash(a.ID))+`.`+r.name+`.rds.amazonaws.com","port":5432,"hostedZoneId":"Z29XKXDKYMONMX"},"allocatedStorage":100,"instanceCreateTime":"`+msTime(x.created*1000)+`","multiAZ":`...)
			b = strconv.AppendBool(b, db.encrypted)
			b = append(b, `,"publiclyAccessible":`...)
			b = strconv.AppendBool(b, db.public)
			b = append(b, `,"storageType":"gp3","storageEncrypted":`...)
			b = strconv.AppendBool(b, db.encrypted)
			b = append(b, `,"kmsKeyId":`...)
			if db.encrypted {
				b = append(b, `"arn:aws:kms:`+r.name+`:`+a.ID+`:key/`+r.keys[0].id+`"`...)
			} else {
				b = append(b, "null"...)
			}
			b = append(b, `,"dbiResourceId":"`+rid+`","dBInstanceArn":"`+arn+`","iAMDatabaseAuthenticationEnabled":false,"deletionProtection":`...)
			b = strconv.AppendBool(b, db.encrypted)
			b = append(b, `,"vpcSecurityGroups":[{"vpcSecurityGroupId":"`+r.sgs[5].id+`","status":"active"}],"backupRetentionPeriod":7},"supplementaryConfiguration":{}`...)
			return appendTags(b, x, t, "env", env)
		}
		out = append(out, x)
	}

	for _, in := range r.instances {
		in := in
		x := &cfgRes{typ: "AWS::SSM::PatchCompliance", id: "AWS::SSM::PatchCompliance/" + in.id, arn: "arn:aws:ssm:" + r.name + ":" + a.ID + ":managed-instance/" + in.id,
			awsRegion: r.name, az: "Not Applicable",
			rels: `[{"resourceId":"` + in.id + `","resourceName":null,"resourceType":"AWS::EC2::Instance","name":"Is associated with Instance"}]`}
		x.render = func(b []byte, t int64) []byte {
			status, sev, nc := "COMPLIANT", "UNSPECIFIED", 0
			if !in.patchOK {
				status, sev, nc = "NON_COMPLIANT", "CRITICAL", 3
			}
			scan := t - t%86400 + 3*3600
			if scan > t {
				scan -= 86400
			}
			b = append(b, `"configuration":{"AWS:ComplianceItem":{"SchemaVersion":"1.0","ComplianceType":"Patch","Status":"`+status+`","CaptureTime":"`+isoTime(scan)+`","ExecutionSummary":{"ExecutionType":"Command","ExecutionId":"`+uuidFrom(strHash(in.id), uint64(scan))+`","ExecutionTime":"`+isoTime(scan)+`"},"Content":{"Patch":{"PatchGroup":"`+env+`","PatchBaselineId":"pb-`+hexFrom(17, strHash(env))+`","Status":"`+status+`","OverallSeverity":"`+sev+`","NonCompliantCriticalCount":`...)
			b = strconv.AppendInt(b, int64(nc), 10)
			b = append(b, `,"CompliantCriticalCount":`...)
			b = strconv.AppendInt(b, int64(12-nc), 10)
			b = append(b, `,"InstalledCount":412,"MissingCount":`...)
			b = strconv.AppendInt(b, int64(nc), 10)
			b = append(b, `}}}},"supplementaryConfiguration":{}`...)
			return appendTags(b, x, t)
		}
		out = append(out, x)
	}

	if r.name == o.global {
		trails := []struct {
			name string
			org  bool
		}{}
		if a.idx == 0 {
			trails = append(trails, struct {
				name string
				org  bool
			}{o.trailName, o.orgID != ""})
		}
		if a.trailName != "" {
			trails = append(trails, struct {
				name string
				org  bool
			}{a.trailName, false})
		}
		for _, tr := range trails {
			tr := tr
			arn := "arn:aws:cloudtrail:" + r.name + ":" + a.ID + ":trail/" + tr.name
			x := &cfgRes{typ: "AWS::CloudTrail::Trail", id: tr.name, name: tr.name, arn: arn, awsRegion: r.name, az: "Not Applicable"}
			x.render = func(b []byte, t int64) []byte {
				tampered := a == sc.prod && tr.name == a.trailName && sc.trailTamper > 0 && t >= sc.trailTamper
				bucket := o.bucket
				if !tr.org {
					bucket = "examplecorp-security-log-archive"
				}
				b = append(b, `"configuration":{"name":"`+tr.name+`","s3BucketName":"`+bucket+`","includeGlobalServiceEvents":true,"isMultiRegionTrail":`...)
				b = strconv.AppendBool(b, !tampered)
				b = append(b, `,"homeRegion":"`+r.name+`","trailARN":"`+arn+`","logFileValidationEnabled":`...)
				b = strconv.AppendBool(b, !tampered)
				b = append(b, `,"cloudWatchLogsLogGroupArn":"arn:aws:logs:`+r.name+`:`+a.ID+`:log-group:aws-cloudtrail-logs:*","hasCustomEventSelectors":`...)
				b = strconv.AppendBool(b, tampered)
				b = append(b, `,"hasInsightSelectors":`...)
				b = strconv.AppendBool(b, tr.org)
				b = append(b, `,"isOrganizationTrail":`...)
				b = strconv.AppendBool(b, tr.org)
				b = append(b, `,"kmsKeyId":"arn:aws:kms:`+r.name+`:`+a.ID+`:key/`+r.keys[1].id+`"},"supplementaryConfiguration":{}`...)
				return appendTags(b, x, t)
			}
			out = append(out, x)
		}

		for _, name := range iamUsers {
			p := a.byName[name]
			arn := "arn:aws:iam::" + a.ID + ":user/" + name
			x := &cfgRes{typ: "AWS::IAM::User", id: p.principalID, name: name, arn: arn, awsRegion: "global", az: "Not Applicable", created: userCreated(o, a, name)}
			x.render = func(b []byte, t int64) []byte {
				pols := userPolicies(name)
				if a == sc.mgmt && name == "bob" && sc.bobAdmin > 0 && t >= sc.bobAdmin {
					pols = append(pols, "AdministratorAccess")
				}
				b = append(b, `"configuration":{"path":"/","userName":"`+name+`","userId":"`+p.principalID+`","arn":"`+arn+`","createDate":"`+msTime(x.created*1000)+`","userPolicyList":[],"groupList":[],"attachedManagedPolicies":[`...)
				for i, pol := range pols {
					if i > 0 {
						b = append(b, ',')
					}
					b = append(b, `{"policyName":"`+pol+`","policyArn":"arn:aws:iam::aws:policy/`+pol+`"}`...)
				}
				b = append(b, `],"permissionsBoundary":null,"tags":[]},"supplementaryConfiguration":{}`...)
				return appendTags(b, x, t)
			}
			out = append(out, x)
		}
	}
	return out
}

func userPolicies(name string) []string {
	switch name {
	case "alice":
		return []string{"PowerUserAccess"}
	case "bob":
		return []string{"IAMFullAccess", "AmazonS3FullAccess"}
	case "carol":
		return []string{"PowerUserAccess", "IAMFullAccess"}
	case "ci-deployer":
		return []string{"PowerUserAccess", "IAMFullAccess"}
	case "breakglass-admin":
		return []string{"AdministratorAccess"}
	}
	return nil
}

// configIncidents adds the versions that follow the incidents, a few
// minutes after the CloudTrail event, with the event in relatedEvents.
func (gen *generator) configIncidents(a *acct, r *region, res []*cfgRes) {
	sc := &gen.plan.sc
	find := func(id string) *cfgRes {
		for _, x := range res {
			if x.id == id || x.name == id {
				return x
			}
		}
		return nil
	}
	add := func(x *cfgRes, t int64, related ...string) {
		if x != nil && t > 0 {
			x.changes = append(x.changes, cfgChange{t: t + 170, status: "OK", related: related})
		}
	}
	if r == sc.prodReg && a == sc.prod {
		add(find(sc.bastionSG.id), sc.sshOpen, sc.sshEvent)
		add(find(sc.winSG.id), sc.rdpOpen, sc.rdpEvent)
		if sc.publicBucket != nil {
			add(find(sc.publicBucket.name), sc.bucketPublic, sc.bucketEvents...)
		}
	}
	if a == sc.prod && r.name == gen.o.global && a.trailName != "" {
		add(find(a.trailName), sc.trailTamper, sc.trailEvents...)
	}
	if a == sc.mgmt && r.name == gen.o.global {
		add(find("bob"), sc.bobAdmin, sc.bobAdminEvent)
	}
	// A spare volume is deleted halfway through the period.
	for _, x := range res {
		if x.typ != "AWS::EC2::Volume" {
			continue
		}
		for _, v := range r.volumes {
			if v.id == x.id && v.deleted {
				o := gen.o
				x.changes = append(x.changes, cfgChange{t: o.cfg.startSec() + int64(o.cfg.Days)*86400/2 + 3*3600, status: "ResourceDeleted"})
			}
		}
	}
}

// userCreated is when an IAM user was created (long before the period).
func userCreated(o *org, a *acct, name string) int64 {
	days := map[string]int64{"alice": 900, "bob": 1200, "carol": 700, "ci-deployer": 1400, "breakglass-admin": 1600}[name]
	return o.cfg.startSec() - days*86400 + int64(hash(uint64(o.seed), strHash(a.ID+name))%40000)
}
