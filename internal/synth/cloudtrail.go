package synth

import (
	"slices"
	"strconv"
	"strings"
)

// ectx is the state of the event being rendered. Resource pickers memoise
// their choice so that requestParameters, responseElements and resources
// of one event name the same bucket, key or instance.
type ectx struct {
	o          *org
	g          *rng
	a          *acct
	reg        *region
	regionName string
	day        int
	t          int64
	p          *principal
	api        *api
	console    bool
	sess       string
	requestID  []byte

	inst       *instance
	bkt        *bucket
	key        *kmsKey
	vol        *volume
	objKey     string
	targetSess string

	tasks map[*principal][]string // ECS task ids of this unit
	req   []byte
	resp  []byte
	add   []byte
	res   []byte
}

func (c *ectx) reset() {
	c.inst, c.bkt, c.key, c.vol, c.objKey, c.targetSess = nil, nil, nil, nil, "", ""
	c.console, c.sess = false, ""
}

func (c *ectx) instance() *instance {
	if c.inst == nil {
		c.inst = c.reg.instances[c.g.intn(len(c.reg.instances))]
	}
	return c.inst
}

func (c *ectx) volume() *volume {
	if c.vol == nil {
		c.vol = c.reg.volumes[c.g.intn(len(c.reg.volumes))]
	}
	return c.vol
}

func (c *ectx) kmsKey() *kmsKey {
	if c.key == nil {
		c.key = c.reg.keys[c.g.intn(len(c.reg.keys))]
	}
	return c.key
}

// bucket picks one of the account's buckets, preferring the principal's
// usual one (an app writes to its data bucket, Terraform to its state).
func (c *ectx) bucket() *bucket {
	if c.bkt != nil {
		return c.bkt
	}
	bs := c.reg.buckets
	if len(bs) == 0 {
		bs = c.a.region(c.a.home).buckets
	}
	if pref := c.p.bucketPref; pref != "" && c.g.intn(5) != 0 {
		for _, b := range bs {
			if strings.HasSuffix(b.name, pref) {
				c.bkt = b
				return b
			}
		}
	}
	c.bkt = bs[c.g.intn(len(bs))]
	return c.bkt
}

// target is the role an AWS service starts a session for (AssumeRole).
func (c *ectx) target() *principal {
	t := c.p.assumes
	if t == nil {
		t = c.a.byName["ops-automation-role"]
		if t == nil {
			t = c.p
		}
	}
	if c.targetSess == "" {
		c.targetSess = c.roleSession(t)
	}
	return t
}

// roleSession names a session of a role the way AWS does for its kind:
// ECS task ids, Lambda function names, EC2 instance ids.
func (c *ectx) roleSession(p *principal) string {
	switch p.svc {
	case "ecs":
		ts := c.tasks[p]
		if ts == nil {
			for k := range 4 {
				ts = append(ts, hexFrom(32, p.h, uint64(c.reg.idx), uint64(c.day), uint64(k)))
			}
			c.tasks[p] = ts
		}
		return ts[c.g.intn(len(ts))]
	case "lambda":
		return c.reg.functions[c.g.intn(len(c.reg.functions))]
	case "ec2":
		return c.instance().id
	case "automation":
		return "backup-runner"
	case "slr":
		if strings.HasPrefix(p.invokedBy, "config") {
			return "AWSConfig-Describe"
		}
		return "GuardDutyEnumeration"
	}
	return "session"
}

// session returns the access key id tail and creation time of the session
// a principal holds at time t. Sessions roll over every sessLen seconds;
// the key is a hash, so every unit derives the same key for the same session.
func session(p *principal, sess string, t int64, length int64) (uint64, int64) {
	off := int64(p.h % uint64(length))
	idx := (t + off) / length
	start := idx*length - off
	h := hash(p.h, strHash(sess), uint64(idx))
	created := start + int64(h%600)
	if created > t {
		created = start
	}
	return h, created
}

// appendIdentity writes userIdentity. console marks a person's console
// session (temporary ASIA credentials, sessionContext).
func appendIdentity(b []byte, p *principal, sess string, t int64, console bool) []byte {
	a := p.a
	switch p.kind {
	case kService:
		b = append(b, `{"type":"AWSService","invokedBy":"`...)
		b = append(b, p.svc...)
		return append(b, `"}`...)
	case kServiceEvent:
		b = append(b, `{"accountId":"`...)
		b = append(b, a.ID...)
		b = append(b, `","invokedBy":"AWS Internal"}`...)
		return b
	case kUser:
		b = append(b, `{"type":"IAMUser","principalId":"`...)
		b = append(b, p.principalID...)
		b = append(b, `","arn":"`...)
		b = p.appendArn(b, "")
		b = append(b, `","accountId":"`...)
		b = append(b, a.ID...)
		if !console {
			b = append(b, `","accessKeyId":"`...)
			b = append(b, p.akia...)
			b = append(b, `","userName":"`...)
			b = append(b, p.name...)
			return append(b, `"}`...)
		}
		kh, created := session(p, "console", t, 12*3600)
		b = append(b, `","accessKeyId":"ASIA`...)
		b = appendAWSIDTail(b, 16, kh)
		b = append(b, `","userName":"`...)
		b = append(b, p.name...)
		b = append(b, `","sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":{"creationDate":"`...)
		b = appendTime(b, created)
		b = append(b, `","mfaAuthenticated":"`...)
		b = strconv.AppendBool(b, p.mfa)
		return append(b, `"}}}`...)
	}
	kh, created := session(p, sess, t, p.sessLen)
	b = append(b, `{"type":"AssumedRole","principalId":"`...)
	b = append(b, p.principalID...)
	b = append(b, ':')
	b = append(b, sess...)
	b = append(b, `","arn":"`...)
	b = p.appendArn(b, sess)
	b = append(b, `","accountId":"`...)
	b = append(b, a.ID...)
	b = append(b, `","accessKeyId":"ASIA`...)
	b = appendAWSIDTail(b, 16, kh)
	b = append(b, `","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"`...)
	b = append(b, p.principalID...)
	b = append(b, `","arn":"`...)
	b = appendRoleArn(b, a.ID, p.rolePath, p.name)
	b = append(b, `","accountId":"`...)
	b = append(b, a.ID...)
	b = append(b, `","userName":"`...)
	b = append(b, p.name...)
	b = append(b, `"},"webIdFederationData":{},"attributes":{"creationDate":"`...)
	b = appendTime(b, created)
	b = append(b, `","mfaAuthenticated":"false"}`...)
	if p.svc == "ec2" {
		b = append(b, `,"ec2RoleDelivery":"2.0"`...)
	}
	b = append(b, '}')
	if p.invokedBy != "" {
		b = append(b, `,"invokedBy":"`...)
		b = append(b, p.invokedBy...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// renderEvent appends one routine event for principal p and API ap.
func (c *ectx) renderEvent(b []byte) []byte {
	switch {
	case c.api.name == "ConsoleLogin":
		return c.renderConsoleLogin(b)
	case c.p.kind == kServiceEvent:
		return c.renderServiceEvent(b)
	}
	return c.renderAPICall(b)
}

func (c *ectx) renderAPICall(b []byte) []byte {
	p, ap, g := c.p, c.api, c.g
	c.reset()

	// Who, from where, with what.
	switch p.kind {
	case kUser, kSSO:
		c.console = g.float() < p.console
		if p.kind == kSSO {
			c.sess = p.email
		}
	case kRole:
		c.sess = c.roleSession(p)
	}
	var ip, ua, vpce string
	cmd := false
	tls := true
	switch p.kind {
	case kUser, kSSO:
		ip = p.ips[0]
		if len(p.ips) > 1 && g.intn(4) == 0 {
			ip = p.ips[1+g.intn(len(p.ips)-1)]
		}
		if c.console {
			ua = uaConsole
			if ap.s3 {
				ua = uaS3Console
			}
		} else {
			ua = p.uas[g.intn(len(p.uas))]
			cmd = strings.HasPrefix(ua, "aws-cli/")
		}
	case kRole:
		switch p.svc {
		case "slr":
			ip, ua, tls = p.invokedBy, p.invokedBy, false
		case "lambda":
			ip = c.reg.awsIPs[int(strHash(c.sess)%uint64(len(c.reg.awsIPs)))]
			ua = p.uas[0]
		default:
			ip = c.reg.natIP
			svc := strings.TrimSuffix(ap.source, ".amazonaws.com")
			if e := c.reg.vpce[svc]; p.vpce && e != "" {
				vpce = e
				if p.svc == "ec2" {
					ip = c.instance().ip
				} else {
					ip = taskIP(c.reg, c.sess)
				}
			}
			ua = p.uas[0]
			switch {
			case p.svc == "ec2" && (svc == "monitoring" || svc == "ec2" || svc == "logs"):
				ua = p.uas[1]
			case p.svc == "ec2" && (svc == "ecs" || svc == "ecr"):
				ua = p.uas[2]
			case p.svc == "ecs" && svc == "kms":
				ua = p.uas[1]
			}
		}
	case kService:
		ip, ua, tls = p.svc, p.svc, false
	}

	c.requestID = c.requestID[:0]
	if ap.s3 {
		c.requestID = g.appendAlnum(c.requestID, 16)
		for i, ch := range c.requestID {
			if ch >= 'a' && ch <= 'z' {
				c.requestID[i] = ch - 32
			}
		}
	} else {
		c.requestID = g.appendUUID(c.requestID)
	}

	c.req = c.req[:0]
	if ap.req != nil {
		c.req = ap.req(c.req, c)
	} else {
		c.req = append(c.req, "null"...)
	}

	// Errors: a few routine ones, plus those that follow from the resource.
	var errCode, errMsg string
	for _, e := range ap.errs {
		if g.float() < e.p {
			errCode, errMsg = e.code, e.msg
			break
		}
	}
	if errCode == "" && c.bkt != nil {
		switch ap.name {
		case "GetBucketEncryption":
			if !c.bkt.encrypted {
				errCode, errMsg = "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found"
			}
		case "GetBucketPublicAccessBlock":
			if !c.bkt.publicBlk {
				errCode, errMsg = "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"
			}
		}
	}
	if errCode != "" && errMsg == "" {
		errMsg = c.deniedMessage(errCode)
	}

	c.resp = c.resp[:0]
	if ap.resp != nil && errCode == "" {
		c.resp = ap.resp(c.resp, c)
	} else {
		c.resp = append(c.resp, "null"...)
	}
	c.add, c.res = c.add[:0], c.res[:0]
	if ap.add != nil {
		c.add = ap.add(c.add, c)
	}
	if ap.res != nil {
		c.res = ap.res(c.res, c)
	}

	b = append(b, `{"eventVersion":"`...)
	b = append(b, ap.version...)
	b = append(b, `","userIdentity":`...)
	b = appendIdentity(b, p, c.sess, c.t, c.console)
	b = append(b, `,"eventTime":"`...)
	b = appendTime(b, c.t)
	b = append(b, `","eventSource":"`...)
	b = append(b, ap.source...)
	b = append(b, `","eventName":"`...)
	b = append(b, ap.name...)
	b = append(b, `","awsRegion":"`...)
	b = append(b, c.regionName...)
	b = append(b, `","sourceIPAddress":"`...)
	b = append(b, ip...)
	b = append(b, `","userAgent":"`...)
	b = append(b, ua...)
	if cmd {
		b = append(b, " command/"...)
		b = append(b, ap.cli...)
	}
	b = append(b, '"')
	if errCode != "" {
		b = append(b, `,"errorCode":"`...)
		b = append(b, errCode...)
		b = append(b, `","errorMessage":`...)
		b = appendStr(b, errMsg)
	}
	b = append(b, `,"requestParameters":`...)
	b = append(b, c.req...)
	b = append(b, `,"responseElements":`...)
	b = append(b, c.resp...)
	if len(c.add) > 0 {
		b = append(b, `,"additionalEventData":`...)
		b = append(b, c.add...)
	}
	b = append(b, `,"requestID":"`...)
	b = append(b, c.requestID...)
	b = append(b, `","eventID":"`...)
	b = g.appendUUID(b)
	b = append(b, `","readOnly":`...)
	b = strconv.AppendBool(b, ap.ro)
	if len(c.res) > 0 {
		b = append(b, `,"resources":`...)
		b = append(b, c.res...)
	}
	b = append(b, `,"eventType":"AwsApiCall"`...)
	if ap.apiVer != "" {
		b = append(b, `,"apiVersion":"`...)
		b = append(b, ap.apiVer...)
		b = append(b, '"')
	}
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, !ap.data)
	b = append(b, `,"recipientAccountId":"`...)
	b = append(b, c.a.ID...)
	b = append(b, '"')
	if p.kind == kService && g.intn(3) == 0 {
		b = append(b, `,"sharedEventID":"`...)
		b = g.appendUUID(b)
		b = append(b, '"')
	}
	if vpce != "" {
		b = append(b, `,"vpcEndpointId":"`...)
		b = append(b, vpce...)
		b = append(b, `","vpcEndpointAccountId":"`...)
		b = append(b, c.a.ID...)
		b = append(b, '"')
	}
	if ap.data {
		b = append(b, `,"eventCategory":"Data"`...)
	} else {
		b = append(b, `,"eventCategory":"Management"`...)
	}
	if c.console {
		b = append(b, `,"sessionCredentialFromConsole":"true"`...)
	}
	if tls {
		b = c.appendTLS(b, p.tls12)
	}
	return append(b, '}')
}

func (c *ectx) appendTLS(b []byte, tls12 bool) []byte {
	if tls12 {
		b = append(b, `,"tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"`...)
	} else {
		b = append(b, `,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"`...)
	}
	ap := c.api
	svc := strings.TrimSuffix(ap.source, ".amazonaws.com")
	switch {
	case ap.s3 && c.bkt != nil:
		b = appendS3Host(b, c.bkt)
	case ap.s3:
		b = append(b, "s3.amazonaws.com"...)
	case svc == "iam":
		b = append(b, "iam.amazonaws.com"...)
	case svc == "signin":
		b = append(b, "signin.aws.amazon.com"...)
	default:
		b = append(b, svc...)
		b = append(b, '.')
		b = append(b, c.regionName...)
		b = append(b, ".amazonaws.com"...)
	}
	return append(b, `"}`...)
}

// deniedMessage builds the message AWS gives with AccessDenied and
// Client.UnauthorizedOperation.
func (c *ectx) deniedMessage(code string) string {
	action := c.api.prefix + ":" + c.api.name
	var b []byte
	if strings.HasPrefix(code, "Client.") {
		b = append(b, "You are not authorized to perform this operation. "...)
	}
	b = append(b, "User: "...)
	b = c.p.appendArn(b, c.sess)
	b = append(b, " is not authorized to perform: "...)
	b = append(b, action...)
	if !strings.HasPrefix(code, "Client.") {
		b = append(b, " on resource: "...)
		switch {
		case c.bkt != nil:
			b = append(b, "arn:aws:s3:::"...)
			b = append(b, c.bkt.name...)
			if c.objKey != "" {
				b = append(b, '/')
				b = append(b, c.objKey...)
			}
		case c.key != nil:
			b = appendKeyArn(b, c, c.key)
		default:
			b = append(b, '*')
		}
	}
	b = append(b, " because no identity-based policy allows the "...)
	b = append(b, action...)
	b = append(b, " action"...)
	return string(b)
}

// renderConsoleLogin writes a routine console sign-in: IAM users with
// MFA, SSO users through SAML (MFAUsed "No", done at the identity
// provider), and now and then a mistyped password.
func (c *ectx) renderConsoleLogin(b []byte) []byte {
	p, g := c.p, c.g
	c.reset()
	fail := p.kind == kUser && g.intn(40) == 0
	ip := p.ips[0]
	ua := uaChrome
	if p.name == "carol" || p.email == "frank@"+emailDomain {
		ua = uaFirefoxWin
	}
	b = append(b, `{"eventVersion":"1.09","userIdentity":`...)
	if p.kind == kSSO {
		b = appendIdentity(b, p, p.email, c.t, false)
	} else {
		b = append(b, `{"type":"IAMUser","principalId":"`...)
		b = append(b, p.principalID...)
		if !fail {
			b = append(b, `","arn":"`...)
			b = p.appendArn(b, "")
		}
		b = append(b, `","accountId":"`...)
		b = append(b, p.a.ID...)
		if fail {
			b = append(b, `","accessKeyId":"`...)
		}
		b = append(b, `","userName":"`...)
		b = append(b, p.name...)
		b = append(b, `"}`...)
	}
	b = append(b, `,"eventTime":"`...)
	b = appendTime(b, c.t)
	b = append(b, `","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"`...)
	b = append(b, c.regionName...)
	b = append(b, `","sourceIPAddress":"`...)
	b = append(b, ip...)
	b = append(b, `","userAgent":"`...)
	b = append(b, ua...)
	b = append(b, '"')
	if fail {
		b = append(b, `,"errorMessage":"Failed authentication","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"}`...)
	} else {
		b = append(b, `,"requestParameters":null,"responseElements":{"ConsoleLogin":"Success"}`...)
	}
	b = append(b, `,"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_`...)
	b = append(b, c.regionName...)
	b = append(b, '_')
	b = g.appendHex(b, 16)
	b = append(b, `","MobileVersion":"No",`...)
	switch {
	case p.kind == kSSO:
		b = append(b, `"MFAUsed":"No","SamlProviderArn":"arn:aws:iam::`...)
		b = append(b, p.a.ID...)
		b = append(b, `:saml-provider/AWSSSO_`...)
		b = append(b, hexFrom(16, strHash(p.a.ID), 77)...)
		b = append(b, `_DO_NOT_DELETE"}`...)
	case p.mfa && !fail:
		b = append(b, `"MFAIdentifier":"arn:aws:iam::`...)
		b = append(b, p.a.ID...)
		b = append(b, `:mfa/`...)
		b = append(b, p.name...)
		b = append(b, `","MFAUsed":"Yes"}`...)
	case p.mfa:
		b = append(b, `"MFAUsed":"Yes"}`...)
	default:
		b = append(b, `"MFAUsed":"No"}`...)
	}
	b = append(b, `,"eventID":"`...)
	b = g.appendUUID(b)
	b = append(b, `","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"`...)
	b = append(b, p.a.ID...)
	b = append(b, `","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"signin.aws.amazon.com"}}`...)
	return b
}

// renderServiceEvent writes an AwsServiceEvent: no caller, only the
// account and the service.
func (c *ectx) renderServiceEvent(b []byte) []byte {
	g := c.g
	c.reset()
	a := c.a
	b = append(b, `{"eventVersion":"1.08","userIdentity":{"accountId":"`...)
	b = append(b, a.ID...)
	switch c.api.name {
	case "RotateKey":
		k := c.kmsKey()
		b = append(b, `","invokedBy":"AWS Internal"},"eventTime":"`...)
		b = appendTime(b, c.t)
		b = append(b, `","eventSource":"kms.amazonaws.com","eventName":"RotateKey","awsRegion":"`...)
		b = append(b, c.regionName...)
		b = append(b, `","sourceIPAddress":"AWS Internal","userAgent":"AWS Internal","requestParameters":null,"responseElements":null,"eventID":"`...)
		b = g.appendUUID(b)
		b = append(b, `","readOnly":false,"resources":[{"accountId":"`...)
		b = append(b, a.ID...)
		b = append(b, `","type":"AWS::KMS::Key","ARN":"`...)
		b = appendKeyArn(b, c, k)
		b = append(b, `"}],"eventType":"AwsServiceEvent","managementEvent":true,"recipientAccountId":"`...)
		b = append(b, a.ID...)
		b = append(b, `","serviceEventDetails":{"keyId":"`...)
		b = append(b, k.id...)
		return append(b, `"},"eventCategory":"Management"}`...)
	default: // RotationSucceeded
		b = append(b, `","invokedBy":"secretsmanager.amazonaws.com"},"eventTime":"`...)
		b = appendTime(b, c.t)
		b = append(b, `","eventSource":"secretsmanager.amazonaws.com","eventName":"`...)
		b = append(b, c.api.name...)
		b = append(b, `","awsRegion":"`...)
		b = append(b, c.regionName...)
		b = append(b, `","sourceIPAddress":"secretsmanager.amazonaws.com","userAgent":"secretsmanager.amazonaws.com","requestParameters":null,"responseElements":null,"additionalEventData":{"SecretId":"arn:aws:secretsmanager:`...)
		b = append(b, c.regionName...)
		b = append(b, ':')
		b = append(b, a.ID...)
		b = append(b, `:secret:`...)
		b = append(b, c.g.pick(c.reg.secrets)...)
		b = append(b, '-')
		b = g.appendAlnum(b, 6)
		b = append(b, `"},"eventID":"`...)
		b = g.appendUUID(b)
		b = append(b, `","readOnly":false,"eventType":"AwsServiceEvent","managementEvent":true,"recipientAccountId":"`...)
		b = append(b, a.ID...)
		return append(b, `","eventCategory":"Management"}`...)
	}
}

// ---- units ----

// A ctUnit is the CloudTrail activity of one account in one region during
// one block of one day. Units are independent: each has its own stream.
type ctUnit struct {
	seq    int // position in delivery order, for the digest sequencer
	day    int
	block  int
	a      *acct
	r      *region
	t0, t1 int64
}

// logRef is what a digest file needs to know about a log file.
type logRef struct {
	delivery       int64
	key            string
	hash           string
	oldest, newest int64
}

type ctResult struct {
	u    *ctUnit
	refs []logRef
}

type slot struct {
	t    int64
	seq  uint32
	p    int32 // principal index, or -1-i for planned event i
	glob bool
}

const (
	dupRate    = 0.001 // share of events CloudTrail delivers twice
	lateRate   = 0.002 // share of objects delivered hours late
	windowSecs = 300   // CloudTrail delivers about every five minutes
)

func (w *worker) cloudTrailUnit(u *ctUnit) (*ctResult, error) {
	gen, o := w.gen, w.gen.o
	a, r := u.a, u.r
	rg := newRNG(o.seed, streamCloudTrail, uint64(a.idx), uint64(r.idx), uint64(u.day), uint64(u.block))
	dayStart := o.cfg.startSec() + int64(u.day)*86400
	weekend := isWeekend(dayStart)
	h0, h1 := int((u.t0-dayStart)/3600), int((u.t1-dayStart)/3600)

	slots := w.slots[:0]
	var seq uint32
	var hcum [24]float64
	for pi, p := range a.principals {
		if p.rate == 0 {
			continue
		}
		gpart, rpart := 0.0, 0.0
		if r == a.global && !p.global.empty() {
			gpart = p.globalFrac
		}
		if r.idx < len(p.regionW) && !p.regional.empty() {
			rpart = (1 - p.globalFrac) * p.regionW[r.idx]
		}
		if gpart+rpart == 0 {
			continue
		}
		s := 0.0
		for h := h0; h < h1; h++ {
			s += p.prof.hour[h]
			hcum[h-h0] = s
		}
		lambda := p.rate * (gpart + rpart) * s / 24
		if weekend {
			lambda *= p.prof.weekend
		}
		n := rg.poisson(lambda)
		pg := gpart / (gpart + rpart)
		for range n {
			h := rg.weighted(hcum[:h1-h0])
			t := dayStart + int64(h0+h)*3600 + int64(rg.intn(3600))
			slots = append(slots, slot{t: t, seq: seq, p: int32(pi), glob: rg.float() < pg})
			seq++
		}
	}
	planned := gen.plan.ctEvents(a.idx, r.name, u.t0, u.t1)
	for i, pe := range planned {
		slots = append(slots, slot{t: pe.t, seq: seq, p: int32(-1 - i)})
		seq++
	}
	slices.SortFunc(slots, func(x, y slot) int {
		if x.t != y.t {
			if x.t < y.t {
				return -1
			}
			return 1
		}
		return int(x.seq) - int(y.seq)
	})
	w.slots = slots

	c := &w.c
	*c = ectx{o: o, g: rg, a: a, reg: r, day: u.day, tasks: map[*principal][]string{},
		requestID: c.requestID, req: c.req, resp: c.resp, add: c.add, res: c.res}
	res := &ctResult{u: u}
	var dups [][]byte
	lastDelivery := int64(0)

	// emit renders slots[i:j] (plus pending duplicates) as one object.
	emit := func(part []slot, delivery int64) error {
		carry := dups
		dups = nil
		body := append(w.body[:0], `{"Records":[`...)
		oldest, newest := part[0].t, part[0].t
		for k, s := range part {
			if k > 0 {
				body = append(body, ',')
			}
			start := len(body)
			if s.p < 0 {
				body = append(body, planned[-1-s.p].body...)
			} else {
				p := a.principals[s.p]
				c.p, c.t, c.regionName = p, s.t, r.name
				tbl := &p.regional
				if s.glob {
					tbl = &p.global
				}
				c.api = tbl.apis[rg.weighted(tbl.cum)]
				body = c.renderEvent(body)
				if rg.float() < dupRate {
					dups = append(dups, slices.Clone(body[start:]))
				}
			}
			w.m.Events++
			if s.t/86400 < delivery/86400 {
				w.m.LateDeliveries++
			}
			oldest, newest = min(oldest, s.t), max(newest, s.t)
		}
		// Duplicates of earlier objects ride along in this one.
		for _, d := range carry {
			body = append(body, ',')
			body = append(body, d...)
			w.m.DuplicateDeliveries++
		}
		body = append(body, "]}"...)
		w.body = body
		lastDelivery = max(lastDelivery, delivery)
		return w.emitLog(res, body, a, r.name, delivery, oldest, newest, rg)
	}

	deliveryDelay := func() int64 {
		d := int64(60*rg.between(1, 10) + rg.intn(60))
		if rg.float() < lateRate {
			d += int64(3600 * rg.between(1, 3))
		}
		return d
	}
	per := o.cfg.EventsPerFile
	for i := 0; i < len(slots); {
		if err := w.ctx.Err(); err != nil {
			return nil, err
		}
		if per > 0 {
			j := min(i+per, len(slots))
			if err := emit(slots[i:j], slots[j-1].t+deliveryDelay()); err != nil {
				return nil, err
			}
			i = j
			continue
		}
		win := (slots[i].t - dayStart) / windowSecs
		j := i + 1
		for j < len(slots) && (slots[j].t-dayStart)/windowSecs == win {
			j++
		}
		m := j - i
		// Several delivery streams: a busy window gives a few objects of a
		// few hundred events; a quiet one now and then two tiny ones.
		k := 1
		if m >= 2 && rg.intn(10) == 0 {
			k = 2
		}
		if m > 400 {
			size := rg.between(300, 900)
			k = max(k, (m+size-1)/size)
		}
		k = min(k, m)
		winEnd := dayStart + (win+1)*windowSecs
		for part := range k {
			lo, hi := i+m*part/k, i+m*(part+1)/k
			if err := emit(slots[lo:hi], winEnd+deliveryDelay()); err != nil {
				return nil, err
			}
		}
		i = j
	}
	if len(dups) > 0 {
		// The unit ended with duplicates still pending: a redelivery object.
		body := append(w.body[:0], `{"Records":[`...)
		for k, d := range dups {
			if k > 0 {
				body = append(body, ',')
			}
			body = append(body, d...)
			w.m.DuplicateDeliveries++
		}
		body = append(body, "]}"...)
		w.body = body
		delivery := lastDelivery + int64(300+rg.intn(600))
		if err := w.emitLog(res, body, a, r.name, delivery, u.t0, u.t1-1, rg); err != nil {
			return nil, err
		}
	}
	for _, in := range gen.plan.insightsIn(a.idx, r.name, u.t0, u.t1) {
		if err := w.emitInsight(in, a, r.name, rg); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// taskIP is the private address of an ECS task: tasks come and go, but
// the service's subnet has a handful of addresses in use.
func taskIP(r *region, task string) string {
	return "10." + strconv.Itoa(r.octet) + ".1." + strconv.Itoa(100+int(strHash(task)%8))
}

func isWeekend(dayStart int64) bool {
	wd := (dayStart/86400 + 4) % 7 // 1970-01-01 was a Thursday
	return wd == 0 || wd == 6
}

// appendLogPrefix appends [Prefix]AWSLogs/[org/]<account>/<kind>/<region>/YYYY/MM/DD/.
func (o *org) appendLogPrefix(b []byte, a *acct, kind, region string, sec int64) []byte {
	b = append(b, o.cfg.Prefix...)
	b = append(b, "AWSLogs/"...)
	if o.orgID != "" {
		b = append(b, o.orgID...)
		b = append(b, '/')
	}
	b = append(b, a.ID...)
	b = append(b, '/')
	b = append(b, kind...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = appendDatePath(b, sec, true)
	return append(b, '/')
}

func (w *worker) emitLog(res *ctResult, body []byte, a *acct, region string, delivery, oldest, newest int64, rg *rng) error {
	o := w.gen.o
	k := o.appendLogPrefix(w.key[:0], a, "CloudTrail", region, delivery)
	k = append(k, a.ID...)
	k = append(k, "_CloudTrail_"...)
	k = append(k, region...)
	k = append(k, '_')
	k = appendStamp(k, delivery, false)
	k = append(k, '_')
	k = rg.appendAlnum(k, 16)
	k = append(k, ".json.gz"...)
	w.key = k
	key := string(k)
	// Digest files hash the uncompressed log file.
	res.refs = append(res.refs, logRef{delivery: delivery, key: key, hash: sha256Hex(body), oldest: oldest, newest: newest})
	buf := w.comp.gzip(body)
	return w.send(key, KindCloudTrail, buf)
}
