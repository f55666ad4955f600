package synth

import (
	"slices"
	"strings"
)

// A principal is one actor with a stable habit: the services and APIs it
// calls, its regions, addresses, user agents and working hours. Stable
// habits are what gives anomaly detections a baseline to compare against.
type principal struct {
	name string // readable: IAM user name, role name, or service host
	kind pkind
	a    *acct
	h    uint64 // stable identity hash
	svc  string // role: ecs, lambda, ec2, slr, automation; AWSService: its host

	principalID string // AIDA... or AROA...
	rolePath    string
	email       string // SSO sessions
	invokedBy   string // service-linked roles: the service acting
	assumes     *principal
	akia        string // long-term access key (IAM users)
	mfa         bool
	console     float64 // share of a person's calls made from the console
	tls12       bool

	rate       float64   // events a day, after calibration
	regionW    []float64 // share per organisation region index (regional calls)
	globalFrac float64   // share of calls to global services
	prof       *profile
	regional   apiTable
	global     apiTable
	ips        []string
	uas        []string
	cliUA      bool // aws-cli user agents carry "command/<svc>.<op>"
	sessLen    int64
	vpce       bool
	bucketPref string
}

type pkind uint8

const (
	kUser pkind = iota
	kSSO
	kRole
	kService      // userIdentity.type AWSService
	kServiceEvent // AwsServiceEvent: accountId and invokedBy only
	kRoot
)

type apiTable struct {
	apis []*api
	cum  []float64
}

func (t apiTable) empty() bool { return len(t.apis) == 0 }

type hw struct {
	key string
	w   float64
}

// profile is a working pattern: relative activity per UTC hour (mean 1)
// and on weekends.
type profile struct {
	hour    [24]float64
	weekend float64
}

func mkProfile(weekend float64, f func(h int) float64) *profile {
	p := &profile{weekend: weekend}
	sum := 0.0
	for h := range 24 {
		p.hour[h] = f(h)
		sum += p.hour[h]
	}
	for h := range 24 {
		p.hour[h] *= 24 / sum
	}
	return p
}

var (
	// Office hours of a team in Central Europe, in UTC.
	profOffice = mkProfile(0.08, func(h int) float64 {
		switch {
		case h >= 8 && h <= 10, h >= 12 && h <= 15:
			return 1.5
		case h >= 6 && h <= 17:
			return 1
		case h == 18 || h == 19:
			return 0.3
		}
		return 0.02
	})
	// Customer traffic: quiet at night, busy in the day, weekends too.
	profApp = mkProfile(0.8, func(h int) float64 {
		switch {
		case h <= 4:
			return 0.35
		case h <= 7:
			return 0.8
		case h <= 20:
			return 1.5
		}
		return 0.8
	})
	profFlat = mkProfile(1, func(int) float64 { return 1 })
	// CI pipelines: office hours with a nightly plan run.
	profCI = mkProfile(0.05, func(h int) float64 {
		switch {
		case h >= 7 && h <= 17:
			return 1.4
		case h == 2:
			return 1.0
		}
		return 0.03
	})
	profBatch = mkProfile(1, func(h int) float64 {
		if h >= 1 && h <= 3 {
			return 8
		}
		return 0.3
	})
)

var (
	habitAdmin = []hw{
		{"ec2:DescribeInstances", 12}, {"ec2:DescribeSecurityGroups", 5}, {"ec2:DescribeVpcs", 3}, {"ec2:DescribeSubnets", 3},
		{"ec2:DescribeVolumes", 2}, {"ec2:DescribeNetworkInterfaces", 1}, {"ec2:DescribeRegions", 2}, {"ec2:DescribeAvailabilityZones", 1},
		{"ec2:DescribeInstanceStatus", 2}, {"ec2:DescribeRouteTables", 1}, {"ec2:DescribeImages", 1}, {"ec2:DescribeKeyPairs", 0.5},
		{"ec2:DescribeAddresses", 0.5}, {"ec2:CreateTags", 0.5}, {"ec2:StartInstances", 0.1}, {"ec2:StopInstances", 0.1},
		{"s3:ListBuckets", 3}, {"s3:GetBucketLocation", 2}, {"s3:GetBucketPolicy", 1.5}, {"s3:GetBucketAcl", 1},
		{"s3:GetBucketPublicAccessBlock", 1}, {"s3:GetBucketEncryption", 0.7}, {"s3:GetBucketVersioning", 0.7},
		{"s3:GetBucketTagging", 0.7}, {"s3:GetBucketPolicyStatus", 0.5}, {"s3:GetBucketLogging", 0.3}, {"s3:GetBucketLifecycle", 0.3},
		{"s3:ListObjects", 1}, {"s3:GetObject", 1},
		{"iam:ListUsers", 1}, {"iam:ListRoles", 1.5}, {"iam:GetRole", 1}, {"iam:ListAttachedRolePolicies", 1}, {"iam:ListRolePolicies", 0.5},
		{"iam:GetUser", 0.5}, {"iam:ListAccessKeys", 0.3}, {"iam:ListMFADevices", 0.3}, {"iam:GetAccountSummary", 0.3},
		{"iam:ListPolicies", 0.5}, {"iam:ListGroups", 0.3}, {"iam:ListAccountAliases", 0.5},
		{"monitoring:DescribeAlarms", 2}, {"monitoring:GetMetricData", 4}, {"monitoring:ListMetrics", 1},
		{"logs:DescribeLogGroups", 2}, {"logs:DescribeLogStreams", 2}, {"logs:FilterLogEvents", 2},
		{"lambda:ListFunctions20150331", 1.5}, {"lambda:GetFunction20150331v2", 1}, {"lambda:GetFunctionConfiguration20150331v2", 0.5},
		{"lambda:ListEventSourceMappings20150331", 0.3},
		{"rds:DescribeDBInstances", 1.5}, {"rds:DescribeDBClusters", 0.5}, {"rds:DescribeDBSnapshots", 0.3},
		{"ecs:ListClusters", 0.7}, {"ecs:DescribeClusters", 0.7}, {"ecs:DescribeServices", 1.5}, {"ecs:ListTasks", 1}, {"ecs:DescribeTaskDefinition", 0.5},
		{"kms:ListAliases", 0.7}, {"kms:ListKeys", 0.3}, {"kms:DescribeKey", 0.5}, {"kms:GetKeyRotationStatus", 0.2},
		{"cloudtrail:LookupEvents", 1}, {"cloudtrail:DescribeTrails", 0.3}, {"cloudtrail:GetTrailStatus", 0.2},
		{"sts:GetCallerIdentity", 1}, {"ssm:DescribeInstanceInformation", 0.5}, {"ssm:GetParameter", 0.5},
		{"secretsmanager:ListSecrets", 0.5}, {"secretsmanager:DescribeSecret", 0.3}, {"secretsmanager:GetSecretValue", 0.2},
		{"config:DescribeConfigRules", 0.3}, {"health:DescribeEventAggregates", 1.5},
		{"elasticloadbalancing:DescribeLoadBalancers", 1}, {"elasticloadbalancing:DescribeTargetGroups", 0.5},
		{"elasticloadbalancing:DescribeTargetHealth", 0.7}, {"autoscaling:DescribeAutoScalingGroups", 0.5},
		{"dynamodb:ListTables", 0.3}, {"dynamodb:DescribeTable", 0.3}, {"sns:ListTopics", 0.3}, {"sqs:ListQueues", 0.3},
	}
	habitOrgAdmin = []hw{{"organizations:ListAccounts", 0.6}, {"organizations:DescribeOrganization", 0.6}}
	habitLogin    = []hw{{"signin:ConsoleLogin", 0.5}}
	habitAuditor  = []hw{
		{"ec2:DescribeInstances", 3}, {"ec2:DescribeSecurityGroups", 4}, {"ec2:DescribeVpcs", 1}, {"ec2:DescribeRouteTables", 1},
		{"ec2:DescribeVolumes", 1}, {"ec2:DescribeSnapshots", 0.5}, {"s3:ListBuckets", 2}, {"s3:GetBucketPolicy", 2},
		{"s3:GetBucketPublicAccessBlock", 2}, {"s3:GetBucketEncryption", 1.5}, {"s3:GetBucketAcl", 1}, {"s3:GetBucketPolicyStatus", 1},
		{"s3:GetBucketLogging", 1}, {"iam:ListUsers", 2}, {"iam:ListRoles", 1}, {"iam:ListAccessKeys", 1}, {"iam:ListMFADevices", 1},
		{"iam:GetAccountPasswordPolicy", 0.5}, {"iam:GetAccountSummary", 1}, {"iam:GenerateCredentialReport", 0.3},
		{"iam:GetCredentialReport", 0.4}, {"iam:GetPolicyVersion", 0.5}, {"iam:ListAttachedUserPolicies", 1},
		{"config:GetComplianceDetailsByConfigRule", 2}, {"config:DescribeConfigurationRecorderStatus", 0.5},
		{"config:DescribeConfigRules", 1}, {"securityhub:GetFindings", 3}, {"guardduty:ListFindings", 1.5}, {"guardduty:ListDetectors", 0.5},
		{"cloudtrail:LookupEvents", 1.5}, {"cloudtrail:DescribeTrails", 0.7}, {"cloudtrail:GetTrailStatus", 0.5},
		{"kms:ListKeys", 0.5}, {"kms:GetKeyRotationStatus", 0.8}, {"rds:DescribeDBInstances", 0.8}, {"sts:GetCallerIdentity", 0.5},
		{"signin:ConsoleLogin", 0.3},
	}
	habitScripts = []hw{
		{"s3:ListBuckets", 2}, {"s3:GetObject", 4}, {"s3:PutObject", 1}, {"s3:ListObjects", 2}, {"ec2:DescribeInstances", 3},
		{"sts:GetCallerIdentity", 1}, {"logs:FilterLogEvents", 1}, {"dynamodb:DescribeTable", 0.5}, {"iam:ListUsers", 0.2},
		{"cloudtrail:LookupEvents", 0.3}, {"rds:DescribeDBInstances", 0.5},
	}
	habitCI = []hw{
		{"s3:GetObject", 3}, {"s3:PutObject", 1}, {"dynamodb:GetItem", 1}, {"dynamodb:PutItem", 1}, {"dynamodb:DeleteItem", 1},
		{"sts:GetCallerIdentity", 2}, {"ec2:DescribeInstances", 4}, {"ec2:DescribeSecurityGroups", 4}, {"ec2:DescribeVpcs", 3},
		{"ec2:DescribeSubnets", 3}, {"ec2:DescribeRouteTables", 2}, {"ec2:DescribeImages", 1}, {"ec2:DescribeLaunchTemplates", 1},
		{"ec2:DescribeVolumes", 1}, {"ec2:DescribeAddresses", 0.5}, {"ec2:DescribeNetworkInterfaces", 1}, {"ec2:CreateTags", 0.3},
		{"iam:GetRole", 3}, {"iam:ListAttachedRolePolicies", 2}, {"iam:ListRolePolicies", 2}, {"iam:GetPolicyVersion", 1}, {"iam:GetUser", 0.5},
		{"lambda:GetFunction20150331v2", 2}, {"lambda:ListEventSourceMappings20150331", 0.5}, {"lambda:UpdateFunctionCode20150331v2", 0.3},
		{"ecs:DescribeServices", 2}, {"ecs:DescribeTaskDefinition", 1}, {"ecs:UpdateService", 0.3}, {"ecr:GetAuthorizationToken", 0.5},
		{"kms:DescribeKey", 1}, {"kms:GetKeyPolicy", 0.5}, {"kms:GetKeyRotationStatus", 0.5}, {"kms:ListAliases", 0.5},
		{"rds:DescribeDBInstances", 1}, {"s3:GetBucketPolicy", 1}, {"s3:GetBucketAcl", 1}, {"s3:GetBucketVersioning", 1},
		{"s3:GetBucketEncryption", 1}, {"s3:GetBucketPublicAccessBlock", 1}, {"s3:GetBucketTagging", 1}, {"s3:GetBucketLogging", 0.5},
		{"s3:GetBucketLifecycle", 0.5}, {"s3:GetBucketLocation", 0.5}, {"elasticloadbalancing:DescribeLoadBalancers", 1},
		{"elasticloadbalancing:DescribeTargetGroups", 1}, {"logs:DescribeLogGroups", 1}, {"secretsmanager:DescribeSecret", 0.5},
		{"ssm:GetParameter", 0.5}, {"sns:ListTopics", 0.3}, {"monitoring:DescribeAlarms", 0.5},
	}
	habitECS = []hw{
		{"s3:GetObject", 20}, {"s3:PutObject", 8}, {"s3:HeadObject", 4}, {"kms:Decrypt", 18}, {"kms:GenerateDataKey", 10},
		{"secretsmanager:GetSecretValue", 3}, {"ssm:GetParameter", 2}, {"ssm:GetParametersByPath", 1}, {"lambda:Invoke", 5},
		{"sts:GetCallerIdentity", 0.2}, {"dynamodb:DescribeTable", 0.3},
	}
	habitLambda = []hw{
		{"kms:Decrypt", 10}, {"logs:CreateLogStream", 3}, {"s3:GetObject", 8}, {"s3:PutObject", 5},
		{"secretsmanager:GetSecretValue", 2}, {"dynamodb:DescribeTable", 0.5}, {"ssm:GetParameter", 1},
	}
	habitInstance = []hw{
		{"ssm:UpdateInstanceInformation", 12}, {"ssm:ListInstanceAssociations", 6}, {"monitoring:PutMetricData", 10},
		{"ec2:DescribeTags", 2}, {"ecs:DiscoverPollEndpoint", 3}, {"ecs:SubmitTaskStateChange", 1}, {"ecr:GetAuthorizationToken", 1},
		{"ecr:BatchCheckLayerAvailability", 0.5}, {"logs:CreateLogStream", 0.5}, {"s3:GetObject", 1}, {"kms:Decrypt", 1},
	}
	habitConfigSLR = []hw{
		{"ec2:DescribeInstances", 3}, {"ec2:DescribeSecurityGroups", 3}, {"ec2:DescribeVolumes", 2}, {"ec2:DescribeVpcs", 1},
		{"ec2:DescribeSubnets", 1}, {"ec2:DescribeNetworkInterfaces", 2}, {"ec2:DescribeRouteTables", 1}, {"ec2:DescribeAddresses", 0.5},
		{"s3:GetBucketAcl", 1}, {"s3:GetBucketPolicy", 1}, {"s3:GetBucketVersioning", 1}, {"s3:GetBucketEncryption", 1},
		{"s3:GetBucketPublicAccessBlock", 1}, {"s3:GetBucketLogging", 1}, {"s3:GetBucketTagging", 1}, {"s3:GetBucketLifecycle", 0.5},
		{"s3:ListBuckets", 0.5}, {"iam:GetRole", 1}, {"iam:ListAttachedRolePolicies", 1}, {"iam:ListRolePolicies", 0.5},
		{"iam:GetUser", 0.5}, {"iam:ListAttachedUserPolicies", 0.5}, {"rds:DescribeDBInstances", 1}, {"rds:DescribeDBSnapshots", 0.5},
		{"lambda:GetFunction20150331v2", 1}, {"kms:DescribeKey", 0.5}, {"kms:GetKeyRotationStatus", 0.5},
		{"cloudtrail:DescribeTrails", 0.3}, {"cloudtrail:GetTrailStatus", 0.3}, {"ssm:DescribeInstanceInformation", 0.5},
		{"elasticloadbalancing:DescribeLoadBalancers", 0.5},
	}
	habitGuardDuty = []hw{
		{"ec2:DescribeInstances", 2}, {"ec2:DescribeNetworkInterfaces", 1}, {"ec2:DescribeSecurityGroups", 1}, {"ec2:DescribeVpcs", 0.5},
		{"s3:GetBucketPolicyStatus", 1}, {"s3:GetBucketPublicAccessBlock", 1}, {"s3:GetBucketAcl", 0.5}, {"s3:ListBuckets", 0.5},
		{"s3:GetBucketEncryption", 0.5},
	}
	habitAutomation = []hw{
		{"ec2:DescribeVolumes", 3}, {"ec2:CreateSnapshot", 2}, {"ec2:DescribeSnapshots", 2}, {"ec2:DescribeInstances", 1},
		{"ssm:DescribeInstanceInformation", 1}, {"sts:GetCallerIdentity", 0.5},
	}
	habitAssume        = []hw{{"sts:AssumeRole", 1}}
	habitServiceEvents = []hw{{"kms:RotateKey", 1}, {"secretsmanager:RotationSucceeded", 3}}
)

const (
	uaCLIMac     = "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe prompt/off"
	uaCLIWin     = "aws-cli/2.15.30 Python/3.11.8 Windows/10 exe/AMD64 prompt/off"
	uaCLILinux   = "aws-cli/2.17.45 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 prompt/off"
	uaBoto3      = "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#6.8.0-40-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144"
	uaBoto3Mac   = "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.5 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.10"
	uaTerraform  = "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.67.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.5 ua/2.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.177.3"
	uaGoSDK      = "aws-sdk-go-v2/1.30.3 ua/2.0 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2"
	uaGoSDKKMS   = "aws-sdk-go-v2/1.30.3 ua/2.0 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/kms#1.35.3"
	uaLambdaPy   = "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.224-234.862.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145"
	uaSSMAgent   = "aws-sdk-go/1.51.21 (go1.22.4; linux; amd64) amazon-ssm-agent/3.3.1142.0"
	uaCWAgent    = "aws-sdk-go/1.48.6 (go1.22.5; linux; amd64) CWAgent/1.300044.0"
	uaECSAgent   = "aws-sdk-go/1.51.3 (go1.21.13; linux; amd64) exec-env/AWS_ECS_EC2 Agent/1.86.3"
	uaConsole    = "AWS Internal"
	uaS3Console  = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.225-191.878.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation cfg/retry-mode/standard]"
	uaChrome     = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36"
	uaFirefoxWin = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0"
)

// addPrincipals gives an account its people and machines.
func (o *org) addPrincipals(a *acct) {
	mult := map[string]float64{RoleProd: 1, RoleDev: 0.45, RoleManagement: 0.2, RoleSecurity: 0.25, RoleWorkload: 0.4}[a.Role]
	isApp := a.Role == RoleProd || a.Role == RoleDev || a.Role == RoleWorkload
	rate := func(byRole map[string]float64) float64 {
		r, ok := byRole[a.Role]
		if !ok {
			r = byRole[RoleProd] * 0.4
		}
		return r
	}
	newP := func(name string, kind pkind, svc string) *principal {
		p := &principal{name: name, kind: kind, a: a, svc: svc, h: hash(uint64(o.seed), strHash(a.ID), strHash(name), uint64(kind))}
		switch kind {
		case kUser:
			p.principalID = awsID("AIDA", 17, p.h, 1)
			p.akia = awsID("AKIA", 16, p.h, 2)
		case kSSO, kRole:
			p.principalID = awsID("AROA", 17, p.h, 1)
		}
		p.sessLen = 3600
		return p
	}
	people := func(p *principal, byRole map[string]float64, habit []hw, ips, uas []string) {
		p.rate = rate(byRole)
		p.prof = profOffice
		p.ips, p.uas = ips, uas
		p.cliUA = true
		h := slices.Clone(habit)
		if a.Role == RoleManagement && p.kind != kSSO {
			h = append(h, habitOrgAdmin...)
		}
		if p.console > 0 {
			h = append(h, habitLogin...)
		}
		o.finish(p, h, 0.7, 0.2)
	}

	u := newP("alice", kUser, "")
	u.mfa, u.console = true, 0.6
	people(u, map[string]float64{RoleManagement: 2.5, RoleDev: 2, RoleProd: 0.6, RoleSecurity: 0.3}, habitAdmin, []string{officeIP1, aliceHome}, []string{uaCLIMac})
	u = newP("bob", kUser, "")
	people(u, map[string]float64{RoleManagement: 0.8, RoleDev: 1.2, RoleProd: 0.8, RoleSecurity: 0.1}, habitScripts, []string{officeIP2, bobHome}, []string{uaBoto3, uaCLILinux})
	u = newP("carol", kUser, "")
	u.mfa, u.console = true, 0.5
	people(u, map[string]float64{RoleManagement: 1.5, RoleDev: 1.2, RoleProd: 0.4, RoleSecurity: 0.2}, habitAdmin, []string{officeIP3, carolHome}, []string{uaCLIWin})
	u = newP("ci-deployer", kUser, "")
	u.rate = rate(map[string]float64{RoleManagement: 2, RoleDev: 5, RoleProd: 6, RoleSecurity: 1.5})
	u.prof, u.ips, u.uas, u.tls12 = profCI, []string{ciRunnerA, ciRunnerB}, []string{uaTerraform}, false
	u.bucketPref = "terraform-state"
	o.finish(u, habitCI, 0.7, 0.2)
	u = newP("breakglass-admin", kUser, "")
	u.mfa = true
	o.finish(u, nil, 1, 0)

	sso := func(email, role string, byRole map[string]float64, habit []hw, ips []string) {
		p := newP(role, kSSO, "")
		p.principalID = awsID("AROA", 17, hash(uint64(o.seed), strHash(a.ID), strHash(role)))
		p.email = email
		p.rolePath = "aws-reserved/sso.amazonaws.com/" + o.global + "/"
		p.console = 0.7
		p.sessLen = 8 * 3600
		p.h = hash(p.h, strHash(email))
		people(p, byRole, habit, ips, []string{uaCLIMac, uaBoto3Mac})
	}
	sso("dave@"+emailDomain, a.ssoAdmin, map[string]float64{RoleManagement: 0.5, RoleDev: 1, RoleProd: 1.2, RoleSecurity: 0.2}, habitAdmin, []string{officeIP1, vpnIP})
	sso("erin@"+emailDomain, a.ssoAdmin, map[string]float64{RoleManagement: 0.2, RoleDev: 0.7, RoleProd: 0.8}, habitAdmin, []string{officeIP2, vpnIP})
	sso("frank@"+emailDomain, a.ssoAdmin, map[string]float64{RoleDev: 1, RoleProd: 0.2, RoleManagement: 0.1}, habitAdmin, []string{officeIP3})
	sso("auditor@"+emailDomain, a.ssoRead, map[string]float64{RoleManagement: 0.4, RoleDev: 0.2, RoleProd: 0.5, RoleSecurity: 2.5}, habitAuditor, []string{vpnIP})

	role := func(name, svc, path string, r float64, prof *profile, uas []string) *principal {
		p := newP(name, kRole, svc)
		p.rolePath = path
		p.rate, p.prof, p.uas = r, prof, uas
		return p
	}
	// Every account has the workload roles, so incidents can always name
	// them; only workload accounts use them.
	appMult := 0.0
	if isApp {
		appMult = mult
	}
	var appRoles []*principal
	p := role("app-backend-role", "ecs", "", 30*appMult, profApp, []string{uaGoSDK, uaGoSDKKMS})
	p.vpce, p.bucketPref = true, "app-data"
	o.finish(p, habitECS, 0.85, 0.15)
	appRoles = append(appRoles, p)
	p = role("orders-lambda-role", "lambda", "service-role/", 14*appMult, profApp, []string{uaLambdaPy})
	p.bucketPref = "app-data"
	o.finish(p, habitLambda, 0.85, 0.15)
	appRoles = append(appRoles, p)
	p = role("ec2-app-instance-role", "ec2", "", 14*appMult, profFlat, []string{uaSSMAgent, uaCWAgent, uaECSAgent})
	p.vpce, p.sessLen = true, 6*3600
	o.finish(p, habitInstance, 0.85, 0.15)
	appRoles = append(appRoles, p)
	opsRate := 0.0
	if a.Role == RoleProd || a.Role == RoleDev {
		opsRate = mult
	}
	p = role("ops-automation-role", "automation", "", opsRate, profBatch, []string{uaBoto3})
	o.finish(p, habitAutomation, 0.85, 0.15)
	slr := func(name, svc string, r float64, habit []hw) *principal {
		p := role(name, "slr", "aws-service-role/"+svc+"/", r, profFlat, nil)
		p.invokedBy = svc
		o.finish(p, habit, -1, 0)
		return p
	}
	cfgSLR := slr("AWSServiceRoleForConfig", "config.amazonaws.com", rate(map[string]float64{RoleProd: 7, RoleDev: 5, RoleManagement: 3, RoleSecurity: 4}), habitConfigSLR)
	gdSLR := slr("AWSServiceRoleForAmazonGuardDuty", "guardduty.amazonaws.com", rate(map[string]float64{RoleProd: 1.5, RoleDev: 1, RoleManagement: 0.8, RoleSecurity: 3}), habitGuardDuty)

	svc := func(host string, target *principal, r float64) {
		p := newP(host, kService, host)
		p.assumes, p.rate, p.prof = target, r, target.prof
		o.finish(p, habitAssume, 0.85, 0.15)
		if target.regionW != nil {
			p.regionW = target.regionW
		}
	}
	for _, t := range appRoles {
		host := map[string]string{"ecs": "ecs-tasks.amazonaws.com", "lambda": "lambda.amazonaws.com", "ec2": "ec2.amazonaws.com"}[t.svc]
		svc(host, t, t.rate*0.04)
	}
	svc("config.amazonaws.com", cfgSLR, cfgSLR.rate*0.02)
	svc("guardduty.amazonaws.com", gdSLR, gdSLR.rate*0.02)

	ev := newP("AWS Internal", kServiceEvent, "")
	ev.rate, ev.prof = 0.04, profFlat
	o.finish(ev, habitServiceEvents, -1, 0)
}

// finish resolves a principal's habit into API tables and spreads its
// activity over regions: home gets homeW, the second region secondW, the
// rest share what is left. homeW < 0 spreads evenly (services that record
// every region, such as AWS Config).
func (o *org) finish(p *principal, habit []hw, homeW, secondW float64) {
	a := p.a
	var gw, rw []float64
	for _, x := range habit {
		ap := o.apis.get(x.key)
		if ap.global {
			p.global.apis = append(p.global.apis, ap)
			gw = append(gw, x.w)
		} else {
			p.regional.apis = append(p.regional.apis, ap)
			rw = append(rw, x.w)
		}
	}
	p.global.cum, p.regional.cum = cumulative(gw), cumulative(rw)
	tg, tr := sum(gw), sum(rw)
	if tg+tr > 0 {
		p.globalFrac = tg / (tg + tr)
	}
	n := len(o.cfg.Regions)
	p.regionW = make([]float64, n)
	for i, r := range o.cfg.Regions {
		switch {
		case homeW < 0:
			p.regionW[i] = 1 / float64(n)
		case n == 1:
			p.regionW[i] = 1
		case r == a.home:
			p.regionW[i] = homeW
		case r == a.second:
			p.regionW[i] = secondW
		default:
			if n > 2 {
				p.regionW[i] = (1 - homeW - secondW) / float64(n-2)
			}
		}
	}
	if s := sum(p.regionW); s > 0 {
		for i := range p.regionW {
			p.regionW[i] /= s
		}
	}
	if p.prof == nil {
		p.prof = profFlat
	}
	a.principals = append(a.principals, p)
	key := p.name
	if p.email != "" {
		key = p.email
	}
	a.byName[key] = p
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// calibrate scales every principal's rate so that the organisation makes
// about eventsPerDay calls a day.
func (o *org) calibrate(eventsPerDay int) {
	total := 0.0
	for _, a := range o.accounts {
		for _, p := range a.principals {
			total += p.rate
		}
	}
	if total == 0 {
		return
	}
	f := float64(eventsPerDay) / total
	for _, a := range o.accounts {
		for _, p := range a.principals {
			p.rate *= f
		}
	}
}

// arn returns the principal's ARN as events show it, for a session name.
func (p *principal) appendArn(b []byte, session string) []byte {
	switch p.kind {
	case kUser:
		b = append(b, "arn:aws:iam::"...)
		b = append(b, p.a.ID...)
		b = append(b, ":user/"...)
		return append(b, p.name...)
	case kRoot:
		b = append(b, "arn:aws:iam::"...)
		b = append(b, p.a.ID...)
		return append(b, ":root"...)
	}
	b = append(b, "arn:aws:sts::"...)
	b = append(b, p.a.ID...)
	b = append(b, ":assumed-role/"...)
	b = append(b, p.name...)
	b = append(b, '/')
	return append(b, session...)
}

func (p *principal) roleArn() string {
	return string(appendRoleArn(nil, p.a.ID, p.rolePath, p.name))
}

// readable is the principal as Manifest.Incidents names it.
func (p *principal) readable() string {
	if p.kind == kRoot {
		return "<root_account>"
	}
	return p.name
}

func isServiceHost(s string) bool {
	return strings.HasSuffix(s, ".amazonaws.com") || s == "AWS Internal"
}
