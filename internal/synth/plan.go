package synth

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// The plan holds every event that is placed on purpose: the incidents,
// their benign look-alikes and the insight events. Planned events are
// rendered once, up front, with event ids from their own stream; the work
// unit whose account, region and time they fall in merges them into its
// routine traffic, so they sit in ordinary objects among ordinary events.
type plan struct {
	o         *org
	g         *rng
	ct        map[ctKey][]*plannedEvent
	insights  []*insightEvent
	incidents []Incident
	benign    []Incident
	sc        scenario

	rootBilling int64 // management root's billing sign-in
}

type ctKey struct {
	acct   int
	region string
	day    int
}

type plannedEvent struct {
	t    int64
	id   string
	body []byte
}

type insightEvent struct {
	t      int64
	acct   int
	region string
	body   []byte
}

// scenario is the state the incidents leave behind, which AWS Config,
// the credential reports and the flow logs must agree with. Zero times
// mean "did not happen".
type scenario struct {
	prod, dev, mgmt *acct
	prodReg         *region // prod's home region
	devReg          *region

	sshOpen, rdpOpen   int64
	sshEvent, rdpEvent string
	bastionSG, winSG   *secGroup
	bucketPublic       int64
	publicBucket       *bucket
	bucketEvents       []string
	recorderStop       int64
	rootLogin          int64
	rootKeyCreated     int64
	bobLogin           int64
	bobAdmin           int64
	bobAdminEvent      string
	ciKey2             int64
	trailTamper        int64
	trailEvents        []string
	exfil, scan        int64
}

// demoDays is the length of the demo period; incident dates are written
// as demo days (0 = 2026-09-01, 30 = 2026-10-01) and scaled to other
// periods.
const demoDays = 61

// at maps a demo day and time of day to this configuration's period.
func (pl *plan) at(demoDay, hh, mm, ss int) int64 {
	days := pl.o.cfg.Days
	d := demoDay * days / demoDays
	if d >= days {
		d = days - 1
	}
	return pl.o.cfg.startSec() + int64(d)*86400 + int64(hh*3600+mm*60+ss)
}

func newPlan(o *org) *plan {
	pl := &plan{o: o, g: newRNG(o.seed, streamPlan), ct: map[ctKey][]*plannedEvent{}}
	if o.cfg.Incidents {
		pl.build()
	}
	for k := range pl.ct {
		slices.SortStableFunc(pl.ct[k], func(a, b *plannedEvent) int { return int(a.t - b.t) })
	}
	return pl
}

func (pl *plan) ctEvents(acct int, region string, t0, t1 int64) []*plannedEvent {
	day := int((t0 - pl.o.cfg.startSec()) / 86400)
	var out []*plannedEvent
	for _, e := range pl.ct[ctKey{acct, region, day}] {
		if e.t >= t0 && e.t < t1 {
			out = append(out, e)
		}
	}
	return out
}

func (pl *plan) insightsIn(acct int, region string, t0, t1 int64) []*insightEvent {
	var out []*insightEvent
	for _, in := range pl.insights {
		if in.acct == acct && in.region == region && in.t >= t0 && in.t < t1 {
			out = append(out, in)
		}
	}
	return out
}

// evSpec is a planned event before rendering. String fields holding JSON
// are raw: req and resp render null when empty, add and res are omitted.
type evSpec struct {
	a         *acct
	region    string
	t         int64
	version   string
	identity  []byte
	source    string // service prefix, e.g. "iam"
	name      string
	ip, ua    string
	errCode   string
	errMsg    string
	req, resp string
	add, res  string
	readOnly  bool
	eventType string // default AwsApiCall
	noReqID   bool
	s3        bool
	console   bool
	noTLS     bool
	tlsHost   string
	category  string
}

// event renders a planned event, files it under its unit and returns its id.
func (pl *plan) event(s evSpec) string {
	id, b := renderSpec(pl.g, s)
	o := pl.o
	day := int((s.t - o.cfg.startSec()) / 86400)
	o.useRegion(s.a, s.region)
	k := ctKey{s.a.idx, s.region, day}
	pl.ct[k] = append(pl.ct[k], &plannedEvent{t: s.t, id: id, body: b})
	return id
}

// renderSpec renders an evSpec, drawing ids from g.
func renderSpec(g *rng, s evSpec) (string, []byte) {
	id := g.uuid()
	b := make([]byte, 0, 1024)
	if s.version == "" {
		s.version = "1.08"
	}
	b = append(b, `{"eventVersion":"`...)
	b = append(b, s.version...)
	b = append(b, `","userIdentity":`...)
	b = append(b, s.identity...)
	b = append(b, `,"eventTime":"`...)
	b = appendTime(b, s.t)
	b = append(b, `","eventSource":"`...)
	b = append(b, s.source...)
	b = append(b, `.amazonaws.com","eventName":"`...)
	b = append(b, s.name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, s.region...)
	b = append(b, `","sourceIPAddress":"`...)
	b = append(b, s.ip...)
	b = append(b, `","userAgent":`...)
	b = appendStr(b, s.ua)
	if s.errCode != "" {
		b = kvStr(b, "errorCode", s.errCode)
	}
	if s.errMsg != "" {
		b = kvStr(b, "errorMessage", s.errMsg)
	}
	raw := func(key, v string, nullIfEmpty bool) {
		if v == "" && !nullIfEmpty {
			return
		}
		if v == "" {
			v = "null"
		}
		b = kvRaw(b, key, v)
	}
	raw("requestParameters", s.req, true)
	raw("responseElements", s.resp, true)
	raw("additionalEventData", s.add, false)
	if !s.noReqID {
		var rid []byte
		if s.s3 {
			rid = []byte(strings.ToUpper(string(g.appendAlnum(nil, 16))))
		} else {
			rid = g.appendUUID(nil)
		}
		b = kvStr(b, "requestID", string(rid))
	}
	b = kvStr(b, "eventID", id)
	b = kvBool(b, "readOnly", s.readOnly)
	raw("resources", s.res, false)
	if s.eventType == "" {
		s.eventType = "AwsApiCall"
	}
	b = kvStr(b, "eventType", s.eventType)
	b = kvBool(b, "managementEvent", true)
	b = kvStr(b, "recipientAccountId", s.a.ID)
	if s.category == "" {
		s.category = "Management"
	}
	b = kvStr(b, "eventCategory", s.category)
	if s.console {
		b = kvStr(b, "sessionCredentialFromConsole", "true")
	}
	if !s.noTLS {
		host := s.tlsHost
		if host == "" {
			switch s.source {
			case "iam":
				host = "iam.amazonaws.com"
			case "signin":
				host = "signin.aws.amazon.com"
			default:
				host = s.source + "." + s.region + ".amazonaws.com"
			}
		}
		b = append(b, `,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"`...)
		b = append(b, host...)
		b = append(b, `"}`...)
	}
	return id, append(b, '}')
}

// actor is who makes a run of planned events.
type actor struct {
	p       *principal
	root    bool
	sess    string
	console bool
	ip, ua  string
	created int64 // root console session start
}

func (pl *plan) identity(ac actor, t int64) []byte {
	if ac.root {
		a := ac.p.a
		b := []byte(`{"type":"Root","principalId":"` + a.ID + `","arn":"arn:aws:iam::` + a.ID + `:root","accountId":"` + a.ID + `","accessKeyId":"ASIA`)
		b = appendAWSIDTail(b, 16, hash(ac.p.h, uint64(ac.created)))
		b = append(b, `","sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"creationDate":"`...)
		b = appendTime(b, ac.created)
		return append(b, `","mfaAuthenticated":"false"}}}`...)
	}
	return appendIdentity(nil, ac.p, ac.sess, t, ac.console)
}

// call renders an API call by an actor.
func (pl *plan) call(ac actor, region string, t int64, source, name string, ro bool, req, resp string, mods ...func(*evSpec)) string {
	s := evSpec{
		a: ac.p.a, region: region, t: t, identity: pl.identity(ac, t), source: source, name: name,
		ip: ac.ip, ua: ac.ua, readOnly: ro, req: req, resp: resp, console: ac.console,
	}
	for _, m := range mods {
		m(&s)
	}
	return pl.event(s)
}

func withErr(code, msg string) func(*evSpec) {
	return func(s *evSpec) { s.errCode, s.errMsg = code, msg }
}

func withRes(res string) func(*evSpec) { return func(s *evSpec) { s.res = res } }

func withVersion(v string) func(*evSpec) { return func(s *evSpec) { s.version = v } }

func withS3(host string) func(*evSpec) {
	return func(s *evSpec) {
		s.s3, s.tlsHost = true, host
		s.add = `{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"` +
			string(appendAWSIDTail(nil, 60, hash(uint64(s.t), strHash(host)))) + `","bytesTransferredOut":0}`
	}
}

// consoleLogin renders a ConsoleLogin.
func (pl *plan) consoleLogin(a *acct, p *principal, root bool, region string, t int64, ip, ua string, success bool, mfa string) string {
	var id string
	switch {
	case root:
		id = `{"type":"Root","principalId":"` + a.ID + `","arn":"arn:aws:iam::` + a.ID + `:root","accountId":"` + a.ID + `","accessKeyId":""}`
	case p.kind == kSSO:
		id = string(appendIdentity(nil, p, p.email, t, false))
	case success:
		id = `{"type":"IAMUser","principalId":"` + p.principalID + `","arn":"arn:aws:iam::` + a.ID + `:user/` + p.name + `","accountId":"` + a.ID + `","userName":"` + p.name + `"}`
	default: // a failed IAM user sign-in has no arn and an empty key
		id = `{"type":"IAMUser","principalId":"` + p.principalID + `","accountId":"` + a.ID + `","accessKeyId":"","userName":"` + p.name + `"}`
	}
	add := `{"LoginTo":"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_` + region + `_` + hexFrom(16, uint64(t)) + `","MobileVersion":"No",`
	switch {
	case p != nil && p.kind == kSSO:
		add += `"MFAUsed":"No","SamlProviderArn":"arn:aws:iam::` + a.ID + `:saml-provider/AWSSSO_` + hexFrom(16, strHash(a.ID), 77) + `_DO_NOT_DELETE"}`
	case mfa == "Yes" && success && root:
		add += `"MFAIdentifier":"arn:aws:iam::` + a.ID + `:mfa/root-account-mfa-device","MFAUsed":"Yes"}`
	case mfa == "Yes" && success:
		add += `"MFAIdentifier":"arn:aws:iam::` + a.ID + `:mfa/` + p.name + `","MFAUsed":"Yes"}`
	default:
		add += `"MFAUsed":"` + mfa + `"}`
	}
	s := evSpec{a: a, region: region, t: t, version: "1.09", identity: []byte(id), source: "signin", name: "ConsoleLogin",
		ip: ip, ua: ua, resp: `{"ConsoleLogin":"Success"}`, add: add, eventType: "AwsConsoleSignIn", noReqID: true}
	if !success {
		s.resp, s.errMsg = `{"ConsoleLogin":"Failure"}`, "Failed authentication"
	}
	return pl.event(s)
}

// related attaches context events to the last incident with that id.
func (pl *plan) related(id string, ids ...string) {
	for i := len(pl.incidents) - 1; i >= 0; i-- {
		if pl.incidents[i].ID == id {
			pl.incidents[i].Related = append(pl.incidents[i].Related, ids...)
			return
		}
	}
}

func (pl *plan) add(list *[]Incident, id string, a *acct, region string, t int64, ac actor, ids []string, desc string, evidence ...string) {
	in := Incident{ID: id, Time: time.Unix(t, 0).UTC(), Account: a.ID, Region: region, SourceIP: ac.ip, EventIDs: ids, Description: desc, Evidence: evidence}
	switch {
	case ac.root:
		in.Principal = "<root_account>"
	case ac.p != nil:
		in.Principal = ac.p.name
		if ac.p.kind == kSSO || ac.p.kind == kRole {
			in.Session = ac.sess
		}
	}
	*list = append(*list, in)
}

const (
	uaAttackerCLI = "aws-cli/2.18.0 md/awscrt#0.22.0 ua/2.0 os/linux#6.10.9-arch1-2 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe prompt/off"
	uaAttackerWeb = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
)

// build places the incidents and their look-alikes.
func (pl *plan) build() {
	o := pl.o
	sc := &pl.sc
	sc.mgmt, sc.prod, sc.dev = o.acctByRole(RoleManagement), o.acctByRole(RoleProd), o.acctByRole(RoleDev)
	mgmt, prod, dev := sc.mgmt, sc.prod, sc.dev
	sc.prodReg, sc.devReg = prod.region(prod.home), dev.region(dev.home)
	glob := o.global
	sso := func(a *acct, email string) *principal { return a.byName[email+"@"+emailDomain] }

	// ---- September: the baseline's planted look-alikes and routine changes ----
	ci := actor{p: prod.byName["ci-deployer"], ip: ciRunnerA, ua: uaTerraform}
	for _, d := range []int{15, 43} {
		t := pl.at(d, 13, 10, 22)
		sg := sc.prodReg.sgs[2] // app-sg
		id := pl.call(ci, prod.home, t, "ec2", "AuthorizeSecurityGroupIngress", false,
			`{"groupId":"`+sg.id+`","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8","description":"internal HTTPS"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`,
			sgResp(pl.g, prod.ID, sg.id, 443, "cidrIpv4", "10.0.0.0/8", "internal HTTPS"))
		pl.add(&pl.benign, "sg_ingress_internal", prod, prod.home, t, ci, []string{id},
			"Terraform opens 443/tcp on app-sg to 10.0.0.0/8 only: a routine change, not an internet-facing port")
	}
	for _, d := range []int{22, 50} {
		t := pl.at(d, 11, 2, 41)
		id := pl.call(ci, glob, t, "iam", "PutRolePolicy", false,
			`{"roleName":"app-backend-role","policyName":"app-data-access","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:PutObject\"],\"Resource\":\"arn:aws:s3:::examplecorp-prod-app-data/*\"}]}"}`, "")
		pl.add(&pl.benign, "routine_put_role_policy", prod, glob, t, ci, []string{id},
			"Terraform updates an inline policy scoped to one bucket: an IAM change to report, not an escalation")
	}
	{ // root signs in with MFA to read billing
		root := actor{p: mgmt.byName["alice"], root: true, ip: officeIP1, ua: uaChrome}
		t := pl.at(9, 9, 12, 4)
		id1 := pl.consoleLogin(mgmt, nil, true, glob, t, officeIP1, uaChrome, true, "Yes")
		pl.rootBilling = t
		root.created, root.console, root.ua = t, true, "AWS Internal"
		id2 := pl.call(root, glob, t+95, "ce", "GetCostAndUsage", true, `{"timePeriod":{"start":"2026-08-01","end":"2026-09-01"},"granularity":"MONTHLY","metrics":["UnblendedCost"]}`, "",
			func(s *evSpec) { s.tlsHost = "ce.us-east-1.amazonaws.com" })
		pl.add(&pl.benign, "root_console_login_mfa", mgmt, glob, t, root, []string{id1, id2},
			"root signs in with MFA from the office to read billing: root-usage detections (CIS 1.7) report it, no-MFA detections must not")
	}
	{ // a mistyped password, then success with MFA
		carol := mgmt.byName["carol"]
		t := pl.at(36, 8, 31, 2)
		id1 := pl.consoleLogin(mgmt, carol, false, glob, t, officeIP3, uaFirefoxWin, false, "Yes")
		id2 := pl.consoleLogin(mgmt, carol, false, glob, t+41, officeIP3, uaFirefoxWin, true, "Yes")
		pl.add(&pl.benign, "console_login_typo", mgmt, glob, t, actor{p: carol, ip: officeIP3}, []string{id1, id2},
			"one failed sign-in and a success with MFA 41 s later from the office: not a brute force")
	}
	{ // SSO sign-in: MFAUsed "No" because MFA happens at the identity provider
		dave := sso(prod, "dave")
		t := pl.at(41, 9, 58, 12)
		id := pl.consoleLogin(prod, dave, false, glob, t, officeIP1, uaChrome, true, "No")
		pl.add(&pl.benign, "sso_console_login", prod, glob, t, actor{p: dave, sess: dave.email, ip: officeIP1}, []string{id},
			"IAM Identity Center sign-in (AWSReservedSSO role, SamlProviderArn): MFAUsed is No because MFA is enforced by the identity provider")
	}
	{ // an auditor reads bucket policies; most buckets have none
		aud := sso(o.acctByRole(RoleSecurity), "auditor")
		sec := aud.a
		bk := sec.region(sec.home).buckets[0]
		ac := actor{p: aud, sess: aud.email, ip: vpnIP, ua: uaCLIMac + " command/s3api.get-bucket-policy"}
		t := pl.at(44, 10, 15, 30)
		host := bk.name + ".s3." + bk.region + ".amazonaws.com"
		id := pl.call(ac, sec.home, t, "s3", "GetBucketPolicy", true, `{"bucketName":"`+bk.name+`","Host":"`+host+`","policy":""}`, "",
			withErr("NoSuchBucketPolicy", "The bucket policy does not exist"), withS3(host),
			withRes(`[{"accountId":"`+sec.ID+`","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::`+bk.name+`"}]`))
		pl.add(&pl.benign, "no_such_bucket_policy", sec, sec.home, t, ac, []string{id},
			"NoSuchBucketPolicy: an error code that says a bucket has no policy, not a failed attack")
	}
	pl.throttlingBurst(pl.at(23, 14, 2, 0))
	pl.networkChanges()

	// ---- October: the incidents ----
	pl.rootLogin(pl.at(32, 2, 14, 7))
	pl.bruteForce(pl.at(36, 19, 2, 11))
	pl.tampering(pl.at(39, 23, 41, 12))
	pl.openSecurityGroups(pl.at(41, 10, 5, 33))
	{ // carol creates a key for ci-deployer
		carol := prod.byName["carol"]
		ac := actor{p: carol, ip: carolHome, ua: uaCLIWin + " command/iam.create-access-key"}
		t := pl.at(45, 14, 22, 9)
		key := awsID("AKIA", 16, carol.h, uint64(t))
		id := pl.call(ac, glob, t, "iam", "CreateAccessKey", false, `{"userName":"ci-deployer"}`,
			`{"accessKey":{"userName":"ci-deployer","accessKeyId":"`+key+`","status":"Active","createDate":"`+awsDate(t)+`"}}`)
		sc.ciKey2 = t
		pl.add(&pl.incidents, "access_key_for_other_user", prod, glob, t, ac, []string{id},
			"IAM user carol creates an access key for ci-deployer (requestParameters.userName is not the caller): ci-deployer now has two active keys")
	}
	pl.kmsDeletion(pl.at(49, 3, 12, 40))
	pl.bucketPublic(pl.at(51, 16, 40, 5))
	pl.recon(pl.at(54, 4, 3, 0))
	{ // frank stops AWS Config in dev
		frank := sso(dev, "frank")
		ac := actor{p: frank, sess: frank.email, ip: configIP, ua: uaCLILinux + " command/configservice.stop-configuration-recorder"}
		t := pl.at(56, 21, 55, 10)
		id1 := pl.call(ac, dev.home, t, "config", "StopConfigurationRecorder", false, `{"configurationRecorderName":"default"}`, "")
		ac.ua = uaCLILinux + " command/configservice.delete-delivery-channel"
		id2 := pl.call(ac, dev.home, t+52, "config", "DeleteDeliveryChannel", false, `{"deliveryChannelName":"default"}`, "")
		sc.recorderStop = t
		pl.add(&pl.incidents, "config_recorder_stopped", dev, dev.home, t, ac, []string{id1, id2},
			"AWS Config recording stopped and its delivery channel deleted from an unusual address: no Config history for this account and region afterwards",
			"config_history: no items for "+dev.ID+" "+dev.home+" after "+isoTime(t))
	}
	{ // leaving the organisation, refused by an SCP
		ops := prod.byName["ops-automation-role"]
		ac := actor{p: ops, sess: "terraform-apply", ip: tamperIP, ua: uaAttackerCLI + " command/organizations.leave-organization"}
		t := pl.at(57, 6, 20, 44)
		msg := "User: arn:aws:sts::" + prod.ID + ":assumed-role/ops-automation-role/terraform-apply is not authorized to perform: organizations:LeaveOrganization on resource: * with an explicit deny in a service control policy"
		id := pl.call(ac, glob, t, "organizations", "LeaveOrganization", false, "", "", withErr("AccessDenied", msg),
			func(s *evSpec) { s.tlsHost = "organizations.us-east-1.amazonaws.com" })
		pl.add(&pl.incidents, "leave_org_attempt", prod, glob, t, ac, []string{id},
			"LeaveOrganization attempted with the compromised ops-automation-role; denied by a service control policy")
	}
	sc.exfil = pl.at(48, 1, 10, 0)
	sc.scan = pl.at(52, 3, 0, 0)
	if o.cfg.FlowLogs {
		eni := sc.prodReg.instances[min(2, len(sc.prodReg.instances)-1)]
		pl.add(&pl.incidents, "vpc_flow_egress_burst", prod, prod.home, sc.exfil, actor{ip: eni.ip}, nil,
			"an app server sends several GB to one external address over 40 minutes, far above its usual egress",
			"vpc_flow: ACCEPT "+eni.ip+" -> "+exfilIP+":443, "+eni.eni)
		pl.add(&pl.incidents, "vpc_flow_port_scan", prod, prod.home, sc.scan, actor{ip: scannerIP}, nil,
			"one address probes hundreds of ports across the VPC in 20 minutes; almost everything is rejected",
			"vpc_flow: REJECT "+scannerIP+" -> "+sc.prodReg.cidr)
	}
}

func sgResp(g *rng, acct, sg string, port int, field, cidr, desc string) string {
	p := strconv.Itoa(port)
	d := ""
	if desc != "" {
		d = `"description":"` + desc + `",`
	}
	return `{"requestId":"` + g.uuid() + `","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"` + acct + `","groupId":"` + sg +
		`","securityGroupRuleId":"sgr-` + g.hex(17) + `",` + d + `"isEgress":false,"ipProtocol":"tcp","fromPort":` + p + `,"toPort":` + p + `,"` + field + `":"` + cidr + `"}]}}`
}

func (pl *plan) rootLogin(t int64) {
	sc := &pl.sc
	dev, glob := sc.dev, pl.o.global
	ac := actor{p: dev.byName["alice"], root: true, ip: rootIP, ua: browserWin}
	ids := []string{pl.consoleLogin(dev, nil, true, glob, t, rootIP, browserWin, true, "No")}
	ac.created, ac.console, ac.ua = t, true, "AWS Internal"
	ids = append(ids,
		pl.call(ac, glob, t+131, "iam", "GetAccountSummary", true, "", ""),
		pl.call(ac, glob, t+188, "iam", "ListUsers", true, "", ""),
		pl.call(ac, glob, t+243, "iam", "ListAccessKeys", true, "", ""))
	key := awsID("AKIA", 16, hash(strHash(dev.ID), uint64(t)))
	kt := t + 344
	ids = append(ids, pl.call(ac, glob, kt, "iam", "CreateAccessKey", false, "",
		`{"accessKey":{"accessKeyId":"`+key+`","status":"Active","createDate":"`+awsDate(kt)+`"}}`))
	sc.rootLogin, sc.rootKeyCreated = t, kt
	pl.add(&pl.incidents, "root_console_login", dev, glob, t, actor{p: ac.p, root: true, ip: rootIP}, ids,
		"root signs in without MFA from an address never seen before, lists users and keys, and creates a root access key (CreateAccessKey with null requestParameters)",
		"credential_report: <root_account> access_key_1_active true, mfa_active false")
}

func (pl *plan) bruteForce(t int64) {
	sc := &pl.sc
	mgmt, glob := sc.mgmt, pl.o.global
	bob := mgmt.byName["bob"]
	var ids []string
	tt := t
	for i := range 12 {
		ids = append(ids, pl.consoleLogin(mgmt, bob, false, glob, tt, bruteIP, uaAttackerWeb, false, "No"))
		tt += int64(31 + (i*17)%19)
	}
	ok := t + 534
	ids = append(ids, pl.consoleLogin(mgmt, bob, false, glob, ok, bruteIP, uaAttackerWeb, true, "No"))
	sc.bobLogin = ok
	ac := actor{p: bob, ip: bruteIP, ua: "AWS Internal", console: true}
	pl.add(&pl.incidents, "console_brute_force", mgmt, glob, t, ac, ids,
		"12 failed console sign-ins for IAM user bob from one external address within 10 minutes, then a success without MFA",
		"credential_report: bob password_enabled true, mfa_active false")
	r1 := pl.call(ac, glob, ok+95, "iam", "ListUsers", true, "", "")
	r2 := pl.call(ac, glob, ok+170, "iam", "ListAttachedUserPolicies", true, `{"userName":"bob"}`, "")
	at := ok + 207
	id := pl.call(ac, glob, at, "iam", "AttachUserPolicy", false, `{"userName":"bob","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, "")
	sc.bobAdmin, sc.bobAdminEvent = at, id
	pl.add(&pl.incidents, "admin_policy_attached", mgmt, glob, at, ac, []string{id},
		"in the session won by the brute force, bob attaches AdministratorAccess to himself",
		"config_history: AWS::IAM::User bob attachedManagedPolicies includes AdministratorAccess")
	pl.related("admin_policy_attached", r1, r2)
}

func (pl *plan) tampering(t int64) {
	sc := &pl.sc
	prod, glob := sc.prod, pl.o.global
	ci := prod.byName["ci-deployer"]
	ops := prod.byName["ops-automation-role"]
	// Stolen CI keys assume the automation role from a new address.
	ciAc := actor{p: ci, ip: tamperIP, ua: uaAttackerCLI + " command/sts.assume-role"}
	roleArn := ops.roleArn()
	assume := pl.call(ciAc, glob, t-64, "sts", "AssumeRole", false,
		`{"roleArn":"`+roleArn+`","roleSessionName":"terraform-apply","durationSeconds":3600}`,
		`{"credentials":{"accessKeyId":"`+awsID("ASIA", 16, ops.h, uint64(t))+`","sessionToken":"IQoJb3JpZ2luX2VjE`+pl.g.hex(200)+`","expiration":"`+awsDate(t+3536)+`"},"assumedRoleUser":{"assumedRoleId":"`+ops.principalID+`:terraform-apply","arn":"arn:aws:sts::`+prod.ID+`:assumed-role/ops-automation-role/terraform-apply"}}`,
		withRes(`[{"accountId":"`+prod.ID+`","type":"AWS::IAM::Role","ARN":"`+roleArn+`"}]`),
		func(s *evSpec) { s.tlsHost = "sts.amazonaws.com" })
	ac := actor{p: ops, sess: "terraform-apply", ip: tamperIP}
	trail := "prod-audit-trail"
	trailArn := "arn:aws:cloudtrail:" + glob + ":" + prod.ID + ":trail/" + trail
	ac.ua = uaAttackerCLI + " command/cloudtrail.stop-logging"
	id1 := pl.call(ac, glob, t, "cloudtrail", "StopLogging", false, `{"name":"`+trailArn+`"}`, "", withVersion("1.09"))
	ac.ua = uaAttackerCLI + " command/cloudtrail.update-trail"
	id2 := pl.call(ac, glob, t+47, "cloudtrail", "UpdateTrail", false,
		`{"name":"`+trail+`","isMultiRegionTrail":false,"enableLogFileValidation":false}`,
		`{"name":"`+trail+`","s3BucketName":"examplecorp-security-log-archive","includeGlobalServiceEvents":true,"isMultiRegionTrail":false,"trailARN":"`+trailArn+`","logFileValidationEnabled":false,"isOrganizationTrail":false}`,
		withVersion("1.09"))
	ac.ua = uaAttackerCLI + " command/cloudtrail.put-event-selectors"
	sel := `[{"readWriteType":"ReadOnly","includeManagementEvents":false,"dataResources":[],"excludeManagementEventSources":[]}]`
	id3 := pl.call(ac, glob, t+102, "cloudtrail", "PutEventSelectors", false,
		`{"trailName":"`+trail+`","eventSelectors":`+sel+`}`, `{"trailARN":"`+trailArn+`","eventSelectors":`+sel+`}`, withVersion("1.09"))
	sc.trailTamper, sc.trailEvents = t, []string{id1, id2, id3}
	ac.ua = uaAttackerCLI
	pl.add(&pl.incidents, "cloudtrail_tampering", prod, glob, t, ac, sc.trailEvents,
		"the ops-automation-role, assumed with stolen ci-deployer keys from an unknown address, stops the prod-audit-trail, turns off log file validation and multi-region logging, and limits it to read-only events",
		"config_history: AWS::CloudTrail::Trail prod-audit-trail logFileValidationEnabled false")
	pl.related("cloudtrail_tampering", assume)
}

func (pl *plan) openSecurityGroups(t int64) {
	sc := &pl.sc
	prod := sc.prod
	r := sc.prodReg
	dave := prod.byName["dave@"+emailDomain]
	ac := actor{p: dave, sess: dave.email, ip: officeIP1, ua: "AWS Internal", console: true}
	sc.bastionSG, sc.winSG = r.sgs[3], r.sgs[4]
	id := pl.call(ac, r.name, t, "ec2", "AuthorizeSecurityGroupIngress", false,
		`{"groupId":"`+sc.bastionSG.id+`","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0","description":"temporary vendor access"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`,
		sgResp(pl.g, prod.ID, sc.bastionSG.id, 22, "cidrIpv4", "0.0.0.0/0", "temporary vendor access"))
	sc.sshOpen, sc.sshEvent = t, id
	bastion := r.instances[0]
	pl.add(&pl.incidents, "sg_open_ssh", prod, r.name, t, ac, []string{id},
		"bastion-sg opened to 0.0.0.0/0 on 22/tcp; within half an hour SSH connections from the internet are accepted",
		"config_history: AWS::EC2::SecurityGroup "+sc.bastionSG.id+" ipPermissions 22 0.0.0.0/0",
		"vpc_flow: ACCEPT "+sshIP+" -> "+bastion.ip+":22 on "+bastion.eni)
	t2 := t + 89
	id = pl.call(ac, r.name, t2, "ec2", "AuthorizeSecurityGroupIngress", false,
		`{"groupId":"`+sc.winSG.id+`","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"groups":{},"ipRanges":{},"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]},"prefixListIds":{}}]}}`,
		sgResp(pl.g, prod.ID, sc.winSG.id, 3389, "cidrIpv6", "::/0", ""))
	sc.rdpOpen, sc.rdpEvent = t2, id
	pl.add(&pl.incidents, "sg_open_rdp", prod, r.name, t2, ac, []string{id},
		"windows-admin-sg opened to ::/0 on 3389/tcp (IPv6, ipv6Ranges.items[].cidrIpv6)",
		"config_history: AWS::EC2::SecurityGroup "+sc.winSG.id+" ipv6Ranges ::/0")
}

func (pl *plan) kmsDeletion(t int64) {
	sc := &pl.sc
	prod, r := sc.prod, sc.prodReg
	ops := prod.byName["ops-automation-role"]
	ac := actor{p: ops, sess: "terraform-apply", ip: tamperIP}
	k := r.keys[0]
	arn := "arn:aws:kms:" + r.name + ":" + prod.ID + ":key/" + k.id
	res := withRes(`[{"accountId":"` + prod.ID + `","type":"AWS::KMS::Key","ARN":"` + arn + `"}]`)
	ac.ua = uaAttackerCLI + " command/kms.disable-key"
	id1 := pl.call(ac, r.name, t, "kms", "DisableKey", false, `{"keyId":"`+arn+`"}`, "", res, withVersion("1.09"))
	ac.ua = uaAttackerCLI + " command/kms.schedule-key-deletion"
	t2 := t + 75
	id2 := pl.call(ac, r.name, t2, "kms", "ScheduleKeyDeletion", false, `{"keyId":"`+arn+`","pendingWindowInDays":7}`,
		`{"keyId":"`+arn+`","deletionDate":"`+awsDate(t2+7*86400)+`","keyState":"PendingDeletion","pendingWindowInDays":7}`, res, withVersion("1.09"))
	ac.ua = uaAttackerCLI
	pl.add(&pl.incidents, "kms_key_deletion", prod, r.name, t, ac, []string{id1, id2},
		"customer managed key "+k.alias+" disabled and scheduled for deletion in 7 days by the compromised ops-automation-role")
}

func (pl *plan) bucketPublic(t int64) {
	sc := &pl.sc
	prod, r := sc.prod, sc.prodReg
	bk := r.buckets[0]
	for _, b := range r.buckets {
		if strings.HasSuffix(b.name, "-reports") {
			bk = b
		}
	}
	erin := prod.byName["erin@"+emailDomain]
	ac := actor{p: erin, sess: erin.email, ip: officeIP2, ua: uaCLIMac + " command/s3api.delete-public-access-block"}
	host := bk.name + ".s3." + bk.region + ".amazonaws.com"
	res := withRes(`[{"accountId":"` + prod.ID + `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::` + bk.name + `"}]`)
	id1 := pl.call(ac, r.name, t, "s3", "DeleteBucketPublicAccessBlock", false,
		`{"publicAccessBlock":"","bucketName":"`+bk.name+`","Host":"`+host+`"}`, "", withS3(host), res)
	ac.ua = uaCLIMac + " command/s3api.put-bucket-policy"
	id2 := pl.call(ac, r.name, t+85, "s3", "PutBucketPolicy", false,
		`{"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bk.name+`/*"}]},"bucketName":"`+bk.name+`","Host":"`+host+`","policy":""}`,
		"", withS3(host), res)
	sc.bucketPublic, sc.publicBucket, sc.bucketEvents = t, bk, []string{id1, id2}
	ac.ua = uaCLIMac
	pl.add(&pl.incidents, "s3_bucket_public", prod, r.name, t, ac, sc.bucketEvents,
		"public access block removed from "+bk.name+", then a bucket policy granting s3:GetObject to Principal \"*\"",
		"config_history: AWS::S3::Bucket "+bk.name+" without PublicAccessBlockConfiguration, policy with Principal *")
}

// recon: stolen ECS task credentials used from an unknown address in a
// region the organisation never uses, enumerating services it never calls.
func (pl *plan) recon(t int64) {
	sc := &pl.sc
	prod, glob := sc.prod, pl.o.global
	const region = "ap-southeast-1"
	app := prod.byName["app-backend-role"]
	day := (t - pl.o.cfg.startSec()) / 86400
	task := hexFrom(32, app.h, uint64(prod.region(prod.home).idx), uint64(day), 0)
	ac := actor{p: app, sess: task, ip: reconIP}
	type probe struct {
		svc, name, code string
		global          bool
	}
	const (
		ad  = "AccessDenied"
		ade = "AccessDeniedException"
		cu  = "Client.UnauthorizedOperation"
	)
	probes := []probe{
		{"sts", "GetCallerIdentity", "", false}, {"iam", "ListUsers", ad, true}, {"iam", "ListRoles", ad, true},
		{"iam", "GetAccountAuthorizationDetails", ad, true}, {"iam", "ListPolicies", ad, true}, {"iam", "GetAccountSummary", ad, true},
		{"iam", "ListGroups", ad, true}, {"iam", "ListAccessKeys", ad, true}, {"iam", "GetUser", ad, true},
		{"iam", "ListAttachedRolePolicies", ad, true}, {"iam", "ListRolePolicies", ad, true}, {"s3", "ListBuckets", ad, false},
		{"ec2", "DescribeInstances", cu, false}, {"ec2", "DescribeSecurityGroups", cu, false}, {"ec2", "DescribeVpcs", cu, false},
		{"ec2", "DescribeSnapshots", cu, false}, {"ec2", "DescribeImages", cu, false}, {"ec2", "DescribeKeyPairs", cu, false},
		{"ec2", "DescribeRegions", "", false}, {"rds", "DescribeDBInstances", ad, false}, {"rds", "DescribeDBSnapshots", ad, false},
		{"lambda", "ListFunctions20150331", ade, false}, {"lambda", "GetAccountSettings20160819", ade, false},
		{"secretsmanager", "ListSecrets", ade, false}, {"kms", "ListKeys", ade, false}, {"kms", "ListAliases", ade, false},
		{"dynamodb", "ListTables", ade, false}, {"sqs", "ListQueues", ad, false}, {"organizations", "DescribeOrganization", ade, true},
		{"organizations", "ListAccounts", ade, true}, {"cloudtrail", "DescribeTrails", ade, false}, {"cloudtrail", "LookupEvents", ade, false},
		{"guardduty", "ListDetectors", ade, false}, {"ssm", "DescribeParameters", ade, false}, {"ecr", "DescribeRepositories", ade, false},
		{"ecs", "ListClusters", ade, false}, {"logs", "DescribeLogGroups", ade, false}, {"monitoring", "DescribeAlarms", ad, false},
		{"elasticloadbalancing", "DescribeLoadBalancers", ad, false}, {"autoscaling", "DescribeAutoScalingGroups", ad, false},
		{"route53", "ListHostedZones", ad, true}, {"sns", "ListTopics", ad, false}, {"backup", "ListBackupVaults", ade, false},
		{"eks", "ListClusters", ade, false}, {"ec2", "DescribeVolumes", cu, false}, {"iam", "ListServerCertificates", ad, true},
	}
	var ids []string
	tt := t
	for i, pr := range probes {
		reg := region
		if pr.global {
			reg = glob
		}
		cli := cliServices[pr.svc]
		if cli == "" {
			cli = pr.svc
		}
		ac.ua = reconUA + " command/" + cli + "." + kebab(pr.name)
		mods := []func(*evSpec){}
		if pr.code != "" {
			action := pr.svc + ":" + pr.name
			if pr.svc == "monitoring" {
				action = "cloudwatch:" + pr.name
			}
			msg := "User: arn:aws:sts::" + prod.ID + ":assumed-role/app-backend-role/" + task + " is not authorized to perform: " + action
			if pr.code == cu {
				msg = "You are not authorized to perform this operation. " + msg + " because no identity-based policy allows the " + action + " action"
			} else {
				msg += " on resource: * because no identity-based policy allows the " + action + " action"
			}
			mods = append(mods, withErr(pr.code, msg))
		}
		switch pr.svc {
		case "iam":
			mods = append(mods, func(s *evSpec) { s.tlsHost = "iam.amazonaws.com" })
		case "route53", "organizations":
			mods = append(mods, func(s *evSpec) { s.tlsHost = pr.svc + ".amazonaws.com" })
		case "s3":
			mods = append(mods, withS3("s3.amazonaws.com"))
		}
		ids = append(ids, pl.call(ac, reg, tt, pr.svc, pr.name, true, "", "", mods...))
		tt += int64(20 + (i*37)%29)
	}
	ac.ua = reconUA
	pl.add(&pl.incidents, "recon_access_denied", prod, region, t, ac, ids,
		"ECS task credentials of app-backend-role used from an unknown address, mostly in a region the organisation never uses ("+region+"), to enumerate "+strconv.Itoa(len(probes))+" APIs across services the role never calls; most are denied (AccessDenied, AccessDeniedException, Client.UnauthorizedOperation). Global services (IAM, Organizations, Route 53) are recorded in "+glob+".")
}

func (pl *plan) networkChanges() {
	sc := &pl.sc
	dev, prod := sc.dev, sc.prod
	g := pl.g
	ret := func() string { return `{"requestId":"` + g.uuid() + `","_return":true}` }
	ci := actor{p: dev.byName["ci-deployer"], ip: ciRunnerB, ua: uaTerraform}
	r := dev.home
	t := pl.at(8, 10, 20, 3)
	vpc := "vpc-" + g.hex(17)
	id1 := pl.call(ci, r, t, "ec2", "CreateVpc", false,
		`{"cidrBlock":"10.99.0.0/16","instanceTenancy":"default","amazonProvidedIpv6CidrBlock":false,"tagSpecificationSet":{"items":[{"resourceType":"vpc","tags":[{"key":"Name","value":"dev-sandbox-vpc"}]}]}}`,
		`{"requestId":"`+g.uuid()+`","vpc":{"vpcId":"`+vpc+`","state":"pending","ownerId":"`+dev.ID+`","cidrBlock":"10.99.0.0/16","cidrBlockAssociationSet":{"items":[{"cidrBlock":"10.99.0.0/16","associationId":"vpc-cidr-assoc-`+g.hex(17)+`","cidrBlockState":{"state":"associated"}}]},"ipv6CidrBlockAssociationSet":{},"dhcpOptionsId":"dopt-`+g.hex(17)+`","instanceTenancy":"default","tagSet":{"items":[{"key":"Name","value":"dev-sandbox-vpc"}]},"isDefault":false}}`)
	id2 := pl.call(ci, r, t+4, "ec2", "ModifyVpcAttribute", false, `{"vpcId":"`+vpc+`","enableDnsHostnames":{"value":true}}`, ret())
	pl.add(&pl.incidents, "vpc_change", dev, r, t, ci, []string{id1, id2}, "Terraform creates a VPC and enables DNS host names (routine, but a change CIS 4.14 wants monitored)")
	igw := "igw-" + g.hex(17)
	id3 := pl.call(ci, r, t+9, "ec2", "CreateInternetGateway", false, `{"tagSpecificationSet":{"items":[{"resourceType":"internet-gateway","tags":[{"key":"Name","value":"dev-sandbox-igw"}]}]}}`,
		`{"requestId":"`+g.uuid()+`","internetGateway":{"internetGatewayId":"`+igw+`","ownerId":"`+dev.ID+`","attachmentSet":{},"tagSet":{"items":[{"key":"Name","value":"dev-sandbox-igw"}]}}}`)
	id4 := pl.call(ci, r, t+12, "ec2", "AttachInternetGateway", false, `{"internetGatewayId":"`+igw+`","vpcId":"`+vpc+`"}`, ret())
	pl.add(&pl.incidents, "internet_gateway_change", dev, r, t+9, ci, []string{id3, id4}, "Terraform creates an internet gateway and attaches it to the new VPC (CIS 4.12)")

	pr := prod.home
	rtb := "rtb-" + hexFrom(17, strHash(prod.ID), 31)
	ciP := actor{p: prod.byName["ci-deployer"], ip: ciRunnerA, ua: uaTerraform}
	t = pl.at(17, 14, 5, 51)
	id5 := pl.call(ciP, pr, t, "ec2", "CreateRoute", false, `{"routeTableId":"`+rtb+`","destinationCidrBlock":"0.0.0.0/0","natGatewayId":"nat-`+hexFrom(17, strHash(prod.ID), 32)+`"}`, ret())
	pl.add(&pl.incidents, "route_table_change", prod, pr, t, ciP, []string{id5}, "Terraform adds a default route through the NAT gateway (CIS 4.13)")
	dave := prod.byName["dave@"+emailDomain]
	dv := actor{p: dave, sess: dave.email, ip: vpnIP, ua: "AWS Internal", console: true}
	t = pl.at(34, 11, 40, 17)
	id6 := pl.call(dv, pr, t, "ec2", "ReplaceRoute", false, `{"routeTableId":"`+rtb+`","destinationCidrBlock":"10.50.0.0/16","transitGatewayId":"tgw-`+hexFrom(17, strHash(prod.ID), 33)+`"}`, ret())
	pl.add(&pl.incidents, "route_table_change", prod, pr, t, dv, []string{id6}, "a route to 10.50.0.0/16 is moved to a transit gateway by hand in the console (CIS 4.13)")
	erin := prod.byName["erin@"+emailDomain]
	er := actor{p: erin, sess: erin.email, ip: officeIP2, ua: uaCLIMac + " command/ec2.create-network-acl-entry"}
	t = pl.at(47, 15, 30, 8)
	id7 := pl.call(er, pr, t, "ec2", "CreateNetworkAclEntry", false,
		`{"networkAclId":"acl-`+hexFrom(17, strHash(prod.ID), 34)+`","ruleNumber":120,"egress":false,"ruleAction":"allow","icmpTypeCode":{},"portRange":{"from":22,"to":22},"aclProtocol":"6","cidrBlock":"0.0.0.0/0"}`, ret())
	pl.add(&pl.incidents, "network_acl_change", prod, pr, t, er, []string{id7}, "a network ACL rule allowing 22/tcp from 0.0.0.0/0 inbound (CIS 4.11; permissive entry)")
}

// throttlingBurst is a deployment storm: 40 ThrottlingExceptions in three
// minutes, and the CloudTrail Insights pair that reports it.
func (pl *plan) throttlingBurst(t int64) {
	sc := &pl.sc
	prod, r := sc.prod, sc.prodReg
	app := prod.byName["app-backend-role"]
	day := (t - pl.o.cfg.startSec()) / 86400
	task := hexFrom(32, app.h, uint64(r.idx), uint64(day), 1)
	ac := actor{p: app, sess: task, ip: "10." + strconv.Itoa(r.octet) + ".1.117", ua: uaGoSDK}
	var ids []string
	for i := range 40 {
		ids = append(ids, pl.call(ac, r.name, t+int64(i*4+i%3), "ssm", "GetParametersByPath", true,
			`{"path":"/`+envName(prod)+`/app","recursive":true,"withDecryption":true}`, "", withErr("ThrottlingException", "Rate exceeded")))
	}
	pl.add(&pl.benign, "throttling_burst", prod, r.name, t, ac, ids,
		"40 ThrottlingException errors in three minutes during a deployment: errors, not unauthorised calls",
		"cloudtrail_insight: ApiErrorRateInsight Start/End for ssm GetParametersByPath")
	arn := "arn:aws:sts::" + prod.ID + ":assumed-role/app-backend-role/" + task
	shared := pl.g.uuid()
	for i, state := range []string{"Start", "End"} {
		it := t - t%60 + int64(i*300)
		b := []byte(`{"eventVersion":"1.08","eventTime":"`)
		b = appendTime(b, it)
		b = append(b, `","awsRegion":"`+r.name+`","eventID":"`+pl.g.uuid()+`","eventType":"AwsCloudTrailInsight","recipientAccountId":"`+prod.ID+`","sharedEventID":"`+shared+
			`","insightDetails":{"state":"`+state+`","eventSource":"ssm.amazonaws.com","eventName":"GetParametersByPath","insightType":"ApiErrorRateInsight","errorCode":"ThrottlingException","insightContext":{"statistics":{"baseline":{"average":0.0121},"insight":{"average":13.3333}`...)
		if state == "End" {
			b = append(b, `,"insightDuration":3,"baselineDuration":10080`...)
		}
		b = append(b, `},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"`+arn+`","average":13.3333}],"baseline":[{"value":"`+arn+`","average":0.0094}]},{"attribute":"userAgent","insight":[{"value":"`+uaGoSDK+`","average":13.3333}],"baseline":[{"value":"`+uaGoSDK+`","average":0.0121}]},{"attribute":"errorCode","insight":[{"value":"ThrottlingException","average":13.3333}],"baseline":[{"value":"ThrottlingException","average":0.0121}]}]}},"eventCategory":"Insight"}`...)
		pl.insights = append(pl.insights, &insightEvent{t: it, acct: prod.idx, region: r.name, body: b})
	}
}
