package synth

import (
	"fmt"
	"slices"
	"strconv"
)

// Account is one account of the synthetic organisation.
type Account struct {
	ID   string
	Name string // e.g. "example-prod"
	Role string // management, security, prod, dev or workload
}

// Account roles. The first four accounts always have these roles, in this
// order; further accounts are workloads.
const (
	RoleManagement = "management"
	RoleSecurity   = "security" // security tooling and the log archive
	RoleProd       = "prod"
	RoleDev        = "dev"
	RoleWorkload   = "workload"
)

var fixedAccounts = []Account{
	{ID: "381492567013", Name: "example-management", Role: RoleManagement},
	{ID: "529806341772", Name: "example-security", Role: RoleSecurity},
	{ID: "704215938460", Name: "example-prod", Role: RoleProd},
	{ID: "862031475519", Name: "example-dev", Role: RoleDev},
}

// Accounts returns the first n accounts of the synthetic organisation. Ids
// and names depend only on the position, never on the seed, so tests and
// documentation can name them.
func Accounts(n int) []Account {
	out := make([]Account, 0, n)
	for i := range n {
		if i < len(fixedAccounts) {
			out = append(out, fixedAccounts[i])
			continue
		}
		id := 100000000000 + hash(uint64(i), 0xacc0)%900000000000
		out = append(out, Account{
			ID:   strconv.FormatUint(id, 10),
			Name: fmt.Sprintf("example-workload-%02d", i),
			Role: RoleWorkload,
		})
	}
	return out
}

// The people and machines of Example Corp. Names are part of the contract
// with the detections and their tests.
const (
	emailDomain = "example.com"
	// globalRegion is where CloudTrail records global services (IAM, STS's
	// global endpoint, sign-in, Organizations).
	preferredGlobal = "us-east-1"
	// IP addresses. Documentation ranges only (RFC 5737): 203.0.113.0/24 is
	// the corporate network, 198.51.100.0/25 home and CI addresses, and
	// 192.0.2.0/24 the attackers.
	officeIP1  = "203.0.113.10"
	officeIP2  = "203.0.113.11"
	officeIP3  = "203.0.113.12"
	vpnIP      = "203.0.113.200"
	ciRunnerA  = "198.51.100.30"
	ciRunnerB  = "198.51.100.31"
	aliceHome  = "198.51.100.23"
	bobHome    = "198.51.100.61"
	carolHome  = "198.51.100.94"
	rootIP     = "192.0.2.66"  // root console login
	bruteIP    = "192.0.2.45"  // console brute force against bob
	tamperIP   = "192.0.2.131" // compromised ops-automation-role
	reconIP    = "192.0.2.199" // stolen app-backend-role credentials
	sshIP      = "192.0.2.77"  // SSH in after the security group was opened
	scannerIP  = "192.0.2.250" // port scanner (flow log REJECT spike)
	exfilIP    = "192.0.2.150" // egress burst destination
	configIP   = "192.0.2.88"  // stops AWS Config
	reconUA    = "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off"
	browserWin = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
)

type region struct {
	name   string
	idx    int // position in the organisation's region list
	a      *acct
	extra  bool // not a configured region: only incidents happen here
	vpcID  string
	cidr   string // 10.N.0.0/16
	octet  int    // N
	subnet []string
	azs    []string
	natIP  string // public egress address of the NAT gateway
	awsIPs []string
	vpce   map[string]string // service -> vpce-...
	fl     string            // flow log id

	instances []*instance
	enis      []*eni // every interface, instances first
	sgs       []*secGroup
	keys      []*kmsKey
	buckets   []*bucket // buckets located in this region
	functions []string
	cluster   string
	services  []string
	secrets   []string
	params    []string
	dbs       []*dbInstance
	volumes   []*volume
	logGroups []string
	tables    []string
	topics    []string
}

type instance struct {
	id, name, eni, ip, sg, subnet, az, ami, typ string
	publicIP                                    string
	patchOK                                     bool
}

type eni struct {
	id, ip, instance, sg, kind, subnet, az string // kind: instance, alb, nat, rds, lambda
}

type secGroup struct {
	id, name, desc string
	rules          []sgRule
}

type sgRule struct {
	proto       string
	from, to    int
	cidr, cidr6 string
	desc        string
}

type kmsKey struct {
	id, alias string
}

type bucket struct {
	name       string
	region     string
	publicBlk  bool // has a public access block
	encrypted  bool // has default encryption
	versioning bool
	keys       []string // object keys used by data events
}

type dbInstance struct {
	id, engine, class string
	public, encrypted bool
}

type volume struct {
	id, instance, az string
	size             int
	encrypted        bool
	deleted          bool // deleted during the period (Config shows ResourceDeleted)
}

type acct struct {
	Account
	idx        int
	home       string
	second     string
	regions    []*region // one per organisation region, then extra incident regions
	global     *region
	principals []*principal
	byName     map[string]*principal
	ssoAdmin   string // AWSReservedSSO_AdministratorAccess_<hex>
	ssoRead    string
	trailName  string // a local trail (prod only), besides the organisation trail
	rootMFA    bool
	rootKey    bool // a legacy root access key exists from the start
}

func (a *acct) region(name string) *region {
	for _, r := range a.regions {
		if r.name == name {
			return r
		}
	}
	return nil
}

type org struct {
	cfg       Config
	seed      int64
	accounts  []*acct
	regions   []string // cfg.Regions, then extra regions used by incidents
	global    string
	orgID     string
	bucket    string
	trailName string
	apis      *catalogue
}

func (o *org) acctByRole(role string) *acct {
	i := slices.IndexFunc(fixedAccounts, func(a Account) bool { return a.Role == role })
	return o.accounts[i%len(o.accounts)]
}

// useRegion returns the account's region of that name, adding an unused
// ("extra") region when an incident happens outside the configured ones.
func (o *org) useRegion(a *acct, name string) *region {
	if r := a.region(name); r != nil {
		return r
	}
	i := slices.Index(o.regions, name)
	if i < 0 {
		o.regions = append(o.regions, name)
		i = len(o.regions) - 1
	}
	r := o.newRegion(a, name, i)
	r.extra = true
	a.regions = append(a.regions, r)
	return r
}

// newOrg builds the organisation: accounts, their resources and principals.
// Everything here is derived from the seed and the configuration only.
func newOrg(cfg Config) *org {
	o := &org{cfg: cfg, seed: cfg.Seed, regions: slices.Clone(cfg.Regions), orgID: cfg.OrgID, apis: newCatalogue()}
	o.global = cfg.Regions[0]
	if slices.Contains(cfg.Regions, preferredGlobal) {
		o.global = preferredGlobal
	}
	accts := Accounts(cfg.Accounts)
	mgmt := accts[0].ID
	o.bucket = cfg.Bucket
	if o.bucket == "" {
		o.bucket = "aws-cloudtrail-logs-" + mgmt + "-" + hexFrom(8, uint64(cfg.Seed), strHash("bucket"))
	}
	o.trailName = "example-org-trail"
	if cfg.OrgID == "" {
		o.trailName = "management-events"
	}
	for i, ac := range accts {
		a := &acct{Account: ac, idx: i, byName: map[string]*principal{}}
		a.home, a.second = o.homeRegions(a)
		a.ssoAdmin = "AWSReservedSSO_AdministratorAccess_" + hexFrom(16, uint64(cfg.Seed), strHash(a.ID), 1)
		a.ssoRead = "AWSReservedSSO_ReadOnly_" + hexFrom(16, uint64(cfg.Seed), strHash(a.ID), 2)
		a.rootMFA = a.Role != RoleDev
		a.rootKey = a.Role == RoleProd
		if a.Role == RoleProd {
			a.trailName = "prod-audit-trail"
		}
		for ri, rn := range cfg.Regions {
			a.regions = append(a.regions, o.newRegion(a, rn, ri))
		}
		a.global = a.region(o.global)
		o.accounts = append(o.accounts, a)
	}
	for _, a := range o.accounts {
		o.addPrincipals(a)
	}
	return o
}

// homeRegions picks where an account works: prod and dev live mostly in
// eu-west-1, management in us-east-1, when those regions are configured.
func (o *org) homeRegions(a *acct) (home, second string) {
	rs := o.cfg.Regions
	pref := func(names ...string) string {
		for _, n := range names {
			if slices.Contains(rs, n) {
				return n
			}
		}
		return rs[a.idx%len(rs)]
	}
	switch a.Role {
	case RoleManagement:
		home = pref("us-east-1")
	case RoleSecurity:
		home = rs[0]
	case RoleProd, RoleDev:
		home = pref("eu-west-1")
	default:
		home = rs[a.idx%len(rs)]
	}
	second = home
	for _, r := range rs {
		if r != home && (second == home || r == "eu-central-1") {
			second = r
		}
	}
	return home, second
}

func envName(a *acct) string {
	switch a.Role {
	case RoleManagement:
		return "mgmt"
	case RoleSecurity:
		return "security"
	case RoleProd:
		return "prod"
	case RoleDev:
		return "dev"
	}
	return fmt.Sprintf("wl%02d", a.idx)
}

func (o *org) newRegion(a *acct, name string, ri int) *region {
	s := uint64(o.seed)
	ah := strHash(a.ID)
	rh := strHash(name)
	h := func(parts ...uint64) uint64 { return hash(append([]uint64{s, ah, rh}, parts...)...) }
	r := &region{name: name, idx: ri, a: a, vpce: map[string]string{}}
	r.octet = (a.idx*8+ri)%240 + 10
	r.cidr = fmt.Sprintf("10.%d.0.0/16", r.octet)
	r.vpcID = "vpc-" + hexFrom(17, h(1))
	r.fl = "fl-" + hexFrom(17, h(2))
	r.azs = []string{name + "a", name + "b", name + "c"}
	for i := range 3 {
		r.subnet = append(r.subnet, "subnet-"+hexFrom(17, h(3, uint64(i))))
	}
	r.natIP = publicIP(h(4), name)
	for i := range 4 {
		r.awsIPs = append(r.awsIPs, publicIP(h(5, uint64(i)), name))
	}
	for _, svc := range []string{"s3", "kms", "secretsmanager", "ssm", "sts", "logs", "ecr"} {
		r.vpce[svc] = "vpce-" + hexFrom(17, h(6, strHash(svc)))
	}
	env := envName(a)
	heavy := name == a.home || name == a.second

	sg := func(name, desc string, rules ...sgRule) *secGroup {
		g := &secGroup{id: "sg-" + hexFrom(17, h(7, strHash(name))), name: name, desc: desc, rules: rules}
		r.sgs = append(r.sgs, g)
		return g
	}
	sg("default", "default VPC security group")
	alb := sg("web-alb-sg", "public load balancer", sgRule{proto: "tcp", from: 443, to: 443, cidr: "0.0.0.0/0", desc: "HTTPS from the internet"})
	app := sg("app-sg", "application instances", sgRule{proto: "tcp", from: 8080, to: 8080, cidr: "10.0.0.0/8", desc: "from load balancer"})
	bastion := sg("bastion-sg", "SSH bastion", sgRule{proto: "tcp", from: 22, to: 22, cidr: "10.0.0.0/8", desc: "SSH from VPN"})
	win := sg("windows-admin-sg", "Windows admin hosts", sgRule{proto: "tcp", from: 3389, to: 3389, cidr: "10.0.0.0/8", desc: "RDP from VPN"})
	db := sg("db-sg", "databases", sgRule{proto: "tcp", from: 5432, to: 5432, cidr: "10.0.0.0/8", desc: "PostgreSQL from VPC"})

	addENI := func(e *eni) *eni { r.enis = append(r.enis, e); return e }
	ip := func(subnet, host int) string { return fmt.Sprintf("10.%d.%d.%d", r.octet, subnet, host) }
	inst := func(i int, name string, g *secGroup, subnet int, typ string) *instance {
		in := &instance{
			id: "i-" + hexFrom(17, h(8, uint64(i))), name: name, sg: g.id,
			eni: "eni-" + hexFrom(17, h(9, uint64(i))), ip: ip(subnet, 10+i),
			subnet: r.subnet[subnet%3], az: r.azs[subnet%3], typ: typ,
			ami: "ami-" + hexFrom(17, h(10, uint64(i%2))), patchOK: true,
		}
		r.instances = append(r.instances, in)
		addENI(&eni{id: in.eni, ip: in.ip, instance: in.id, sg: g.id, kind: "instance", subnet: in.subnet, az: in.az})
		return in
	}
	b := inst(0, "bastion", bastion, 0, "t3.micro")
	b.publicIP = publicIP(h(11), name)
	inst(1, env+"-app-1", app, 1, "m6i.large")
	inst(2, env+"-app-2", app, 2, "m6i.large")
	if heavy {
		inst(3, env+"-app-3", app, 1, "m6i.large")
		inst(4, env+"-win-admin", win, 1, "t3.large")
	}
	// The second app server misses patches (Config: NON_COMPLIANT).
	if len(r.instances) > 2 && a.Role == RoleProd && name == a.home {
		r.instances[2].patchOK = false
	}
	for i := range 2 {
		addENI(&eni{id: "eni-" + hexFrom(17, h(12, uint64(i))), ip: ip(i, 200+i), instance: "-", sg: alb.id, kind: "alb", subnet: r.subnet[i], az: r.azs[i]})
	}
	addENI(&eni{id: "eni-" + hexFrom(17, h(13)), ip: ip(0, 5), instance: "-", kind: "nat", subnet: r.subnet[0], az: r.azs[0]})
	addENI(&eni{id: "eni-" + hexFrom(17, h(14)), ip: ip(2, 50), instance: "-", sg: db.id, kind: "rds", subnet: r.subnet[2], az: r.azs[2]})

	for i, in := range r.instances {
		r.volumes = append(r.volumes, &volume{id: "vol-" + hexFrom(17, h(15, uint64(i))), instance: in.id, az: in.az, size: 30, encrypted: true})
	}
	if heavy {
		v := &volume{id: "vol-" + hexFrom(17, h(16)), instance: r.instances[1].id, az: r.instances[1].az, size: 200, encrypted: a.Role != RoleDev || name != a.home}
		r.volumes = append(r.volumes, v)
		r.volumes = append(r.volumes, &volume{id: "vol-" + hexFrom(17, h(17)), az: r.azs[0], size: 100, encrypted: true, deleted: true})
	}

	r.keys = []*kmsKey{
		{id: uuidFrom(s, ah, rh, 18), alias: "alias/" + env + "-data"},
		{id: uuidFrom(s, ah, rh, 19), alias: "alias/" + env + "-secrets"},
	}
	if name == a.home {
		add := func(suffix string, pab, enc bool, keys ...string) {
			r.buckets = append(r.buckets, &bucket{name: "examplecorp-" + env + "-" + suffix, region: name, publicBlk: pab, encrypted: enc, versioning: pab, keys: keys})
		}
		switch a.Role {
		case RoleProd:
			add("assets", false, true, "static/app.js", "static/logo.svg", "static/index.html")
			add("reports", true, true, "monthly/2026-08.pdf", "monthly/2026-09.pdf", "exports/customers.csv.gz")
			add("app-data", true, true, "orders/2026/09/batch-0001.json", "orders/2026/10/batch-0001.json", "invoices/inv-10233.pdf")
		case RoleDev:
			add("scratch", true, false, "tmp/test.json", "tmp/dump.sql.gz")
			add("app-data", true, true, "orders/sample.json", "fixtures/users.json")
		case RoleManagement:
			add("terraform-state", true, true, "org/terraform.tfstate", "accounts/terraform.tfstate")
			add("billing-reports", true, true, "cur/2026-09/manifest.json", "cur/2026-10/manifest.json")
		case RoleSecurity:
			add("log-archive", true, true, "AWSLogs/", "config/")
			add("security-tooling", true, true, "findings/export.json")
		default:
			add("app-data", true, true, "data/part-0000.parquet", "data/part-0001.parquet")
		}
	}
	r.functions = []string{env + "-orders-processor", env + "-thumbnail-generator", env + "-nightly-report"}
	r.cluster = env + "-cluster"
	r.services = []string{"api", "worker"}
	r.secrets = []string{env + "/db/password", env + "/stripe/api-key", env + "/github/deploy-token"}
	r.params = []string{"/" + env + "/app/feature-flags", "/" + env + "/app/db-host", "/" + env + "/cloudwatch-agent/config"}
	r.logGroups = []string{"/aws/lambda/" + env + "-orders-processor", "/ecs/" + env + "-api", "/aws/ssm/" + env}
	r.tables = []string{env + "-orders", env + "-sessions"}
	r.topics = []string{env + "-alerts", env + "-orders-events"}
	if heavy {
		switch a.Role {
		case RoleProd:
			r.dbs = []*dbInstance{{id: "prod-orders-db", engine: "postgres", class: "db.r6g.large", encrypted: true}}
		case RoleDev:
			r.dbs = []*dbInstance{{id: "dev-sandbox-db", engine: "postgres", class: "db.t4g.medium", public: true}}
		}
		if name != a.home {
			r.dbs = nil
		}
	}
	return r
}

// publicIP renders a public-looking IPv4 address from a hash, avoiding
// private, reserved and documentation ranges (the latter are kept for the
// people and attackers of the scenario).
func publicIP(h uint64, salt string) string {
	h = splitmix(h ^ strHash(salt))
	for {
		a := byte(h)
		b := byte(h >> 8)
		switch {
		case a == 0, a == 10, a == 127, a >= 224, a == 100 && b >= 64 && b < 128,
			a == 169 && b == 254, a == 172 && b >= 16 && b < 32, a == 192 && b == 168,
			a == 192 && b == 0, a == 198 && (b == 18 || b == 19 || b == 51), a == 203 && b == 0:
			h = splitmix(h)
			continue
		}
		return fmt.Sprintf("%d.%d.%d.%d", a, b, byte(h>>16), max(1, byte(h>>24)))
	}
}
