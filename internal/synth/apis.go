package synth

import (
	"strconv"
	"strings"
	"unicode"
)

// An api is one CloudTrail eventName with the shape AWS gives its
// requestParameters, responseElements, additionalEventData and resources.
// Renderers append JSON values (never null-or-value ambiguity: a nil req or
// resp renders null, a nil add or res omits the field).
type api struct {
	key     string // "ec2:DescribeInstances"
	source  string // eventSource
	name    string // eventName
	prefix  string // IAM action prefix, for AccessDenied messages
	ro      bool
	data    bool // data event (eventCategory Data, managementEvent false)
	global  bool // recorded in the global region (IAM, Organizations, sign-in)
	version string
	apiVer  string // apiVersion field (ELBv2 has one)
	s3      bool   // S3 request ids, x-amz-id-2, tlsDetails host per bucket
	cli     string // aws-cli command, e.g. "ec2.describe-instances"
	req     func(b []byte, c *ectx) []byte
	resp    func(b []byte, c *ectx) []byte
	add     func(b []byte, c *ectx) []byte
	res     func(b []byte, c *ectx) []byte
	errs    []apiErr
}

type apiErr struct {
	code string
	msg  string // "" for AccessDenied-style messages built from the caller
	p    float64
}

type catalogue struct {
	byKey map[string]*api
}

func (cat *catalogue) get(key string) *api {
	a := cat.byKey[key]
	if a == nil {
		panic("synth: unknown api " + key) // a typo in a habit table
	}
	return a
}

func lit(s string) func([]byte, *ectx) []byte {
	return func(b []byte, _ *ectx) []byte { return append(b, s...) }
}

var (
	throttle    = apiErr{code: "ThrottlingException", msg: "Rate exceeded", p: 0.004}
	ec2Throttle = apiErr{code: "Client.RequestLimitExceeded", msg: "Request limit exceeded.", p: 0.003}
	denied      = apiErr{code: "AccessDenied", p: 0.0015}
	deniedExc   = apiErr{code: "AccessDeniedException", p: 0.0015}
	ec2Denied   = apiErr{code: "Client.UnauthorizedOperation", p: 0.0015}
	cliServices = map[string]string{"s3": "s3api", "elasticloadbalancing": "elbv2", "monitoring": "cloudwatch", "config": "configservice"}
)

func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsDigit(r) {
			break // Lambda's ListFunctions20150331
		}
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func newCatalogue() *catalogue {
	cat := &catalogue{byKey: map[string]*api{}}
	add := func(svc, name string, ro bool, req, resp func([]byte, *ectx) []byte, errs ...apiErr) *api {
		a := &api{
			key: svc + ":" + name, source: svc + ".amazonaws.com", name: name, prefix: svc, ro: ro,
			version: "1.08", req: req, resp: resp, errs: errs,
		}
		cli := cliServices[svc]
		if cli == "" {
			cli = svc
		}
		a.cli = cli + "." + kebab(name)
		switch svc {
		case "iam", "organizations", "signin", "health":
			a.global = true
		case "monitoring":
			a.prefix = "cloudwatch"
		case "elasticloadbalancing":
			a.apiVer = "2015-12-01"
		}
		cat.byKey[a.key] = a
		return a
	}

	// EC2: empty lists are {} and lists sit in "items" wrappers.
	ec2 := func(name, req string) *api {
		return add("ec2", name, true, lit(req), nil, ec2Throttle, ec2Denied)
	}
	add("ec2", "DescribeInstances", true, reqDescribeInstances, nil, ec2Throttle, ec2Denied)
	add("ec2", "DescribeSecurityGroups", true, reqDescribeSGs, nil, ec2Throttle, ec2Denied)
	ec2("DescribeVpcs", `{"vpcSet":{},"filterSet":{}}`)
	add("ec2", "DescribeSubnets", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"subnetSet":{},"filterSet":{"items":[{"name":"vpc-id","valueSet":{"items":[{"value":"`...)
		b = append(b, c.reg.vpcID...)
		return append(b, `"}]}}]}}`...)
	}, nil, ec2Throttle, ec2Denied)
	ec2("DescribeVolumes", `{"volumeSet":{},"filterSet":{}}`)
	ec2("DescribeNetworkInterfaces", `{"networkInterfaceIdSet":{},"filterSet":{}}`)
	ec2("DescribeRegions", `{"regionSet":{},"allRegions":false}`)
	ec2("DescribeAvailabilityZones", `{"availabilityZoneSet":{},"availabilityZoneIdSet":{}}`)
	ec2("DescribeInstanceStatus", `{"instancesSet":{},"filterSet":{},"includeAllInstances":false}`)
	ec2("DescribeRouteTables", `{"routeTableIdSet":{},"filterSet":{}}`)
	ec2("DescribeSnapshots", `{"snapshotSet":{},"ownersSet":{"items":[{"owner":"self"}]},"sharedUsersSet":{},"filterSet":{}}`)
	ec2("DescribeAddresses", `{"publicIpsSet":{},"allocationIdsSet":{},"filterSet":{}}`)
	ec2("DescribeLaunchTemplates", `{"DescribeLaunchTemplatesRequest":{"MaxResults":200}}`)
	ec2("DescribeKeyPairs", `{"keySet":{},"keyPairIdSet":{},"filterSet":{}}`)
	add("ec2", "DescribeImages", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"executableBySet":{},"imagesSet":{"items":[{"imageId":"`...)
		b = append(b, c.instance().ami...)
		return append(b, `"}]},"ownersSet":{},"availabilitySet":{},"filterSet":{}}`...)
	}, nil, ec2Throttle)
	add("ec2", "DescribeTags", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"filterSet":{"items":[{"name":"resource-id","valueSet":{"items":[{"value":"`...)
		b = append(b, c.instance().id...)
		return append(b, `"}]}}]}}`...)
	}, nil, ec2Throttle)
	add("ec2", "CreateTags", false, func(b []byte, c *ectx) []byte {
		b = append(b, `{"resourcesSet":{"items":[{"resourceId":"`...)
		b = append(b, c.instance().id...)
		b = append(b, `"}]},"tagSet":{"items":[{"key":"`...)
		b = append(b, c.g.pick([]string{"owner", "cost-center", "backup", "patch-group"})...)
		b = append(b, `","value":"`...)
		b = append(b, c.g.pick([]string{"platform", "payments", "daily", "weekly", "team-orders"})...)
		return append(b, `"}]}}`...)
	}, respEC2Return, ec2Denied)
	add("ec2", "StartInstances", false, reqInstanceSet, respInstanceState("pending", 0, "stopped", 80), ec2Denied)
	add("ec2", "StopInstances", false, reqInstanceSet, respInstanceState("stopping", 64, "running", 16), ec2Denied)
	add("ec2", "CreateSnapshot", false, func(b []byte, c *ectx) []byte {
		b = append(b, `{"volumeId":"`...)
		b = append(b, c.volume().id...)
		return append(b, `","description":"nightly backup"}`...)
	}, func(b []byte, c *ectx) []byte {
		b = append(b, `{"requestId":"`...)
		b = append(b, c.requestID...)
		b = append(b, `","snapshotId":"snap-`...)
		b = c.g.appendHex(b, 17)
		b = append(b, `","volumeId":"`...)
		b = append(b, c.volume().id...)
		b = append(b, `","status":"pending","startTime":`...)
		b = strconv.AppendInt(b, c.t*1000, 10)
		b = append(b, `,"progress":"","ownerId":"`...)
		b = append(b, c.a.ID...)
		return append(b, `","volumeSize":30,"encrypted":true,"tagSet":{}}`...)
	}, ec2Throttle)

	// S3 management events: bucket sub-resources are empty strings in
	// requestParameters; errors for absent configuration are routine.
	s3b := func(name, sub string, errs ...apiErr) *api {
		a := add("s3", name, true, reqBucket(sub), nil, errs...)
		a.s3, a.res, a.add = true, resBucket, addS3
		return a
	}
	ls := add("s3", "ListBuckets", true, lit(`{"Host":"s3.amazonaws.com"}`), nil)
	ls.s3, ls.add = true, addS3
	s3b("GetBucketLocation", "location")
	s3b("GetBucketAcl", "acl")
	s3b("GetBucketPolicy", "policy", apiErr{code: "NoSuchBucketPolicy", msg: "The bucket policy does not exist", p: 0.55})
	s3b("GetBucketPolicyStatus", "policyStatus", apiErr{code: "NoSuchBucketPolicy", msg: "The bucket policy does not exist", p: 0.55})
	s3b("GetBucketPublicAccessBlock", "publicAccessBlock")
	s3b("GetBucketEncryption", "encryption")
	s3b("GetBucketVersioning", "versioning")
	s3b("GetBucketTagging", "tagging", apiErr{code: "NoSuchTagSet", msg: "The TagSet does not exist", p: 0.4})
	s3b("GetBucketLogging", "logging")
	s3b("GetBucketLifecycle", "lifecycle", apiErr{code: "NoSuchLifecycleConfiguration", msg: "The lifecycle configuration does not exist", p: 0.5})
	for _, d := range []struct {
		name string
		ro   bool
	}{{"GetObject", true}, {"HeadObject", true}, {"PutObject", false}, {"ListObjects", true}, {"DeleteObject", false}} {
		a := add("s3", d.name, d.ro, reqObject(d.name), nil, denied)
		a.data, a.s3, a.version, a.add, a.res = true, true, "1.10", addS3Data(d.name), resObject
		if d.name == "ListObjects" {
			a.res = resBucket
		}
		if d.name == "PutObject" {
			a.resp = respPutObject
		}
	}

	// KMS.
	a := add("kms", "Decrypt", true, reqDecrypt, nil, throttle, deniedExc)
	a.res = resKey
	a = add("kms", "GenerateDataKey", true, reqGenerateDataKey, nil, throttle, deniedExc)
	a.res = resKey
	a = add("kms", "Encrypt", true, reqGenerateDataKey, nil, throttle)
	a.res = resKey
	a = add("kms", "DescribeKey", true, reqKeyID, nil, throttle)
	a.res = resKey
	add("kms", "ListAliases", true, nil, nil, throttle)
	add("kms", "ListKeys", true, lit(`{"limit":1000}`), nil, throttle)
	a = add("kms", "GetKeyRotationStatus", true, reqKeyID, nil, throttle)
	a.res = resKey
	a = add("kms", "GetKeyPolicy", true, func(b []byte, c *ectx) []byte {
		b = reqKeyID(b, c)
		return append(b[:len(b)-1], `,"policyName":"default"}`...)
	}, nil)
	a.res = resKey

	// STS.
	a = add("sts", "AssumeRole", true, reqAssumeRole, respAssumeRole, throttle)
	a.res = resRole
	add("sts", "GetCallerIdentity", true, nil, nil)

	// IAM (global).
	user := func(b []byte, c *ectx) []byte {
		b = append(b, `{"userName":"`...)
		b = append(b, c.g.pick(iamUsers)...)
		return append(b, `"}`...)
	}
	role := func(b []byte, c *ectx) []byte {
		b = append(b, `{"roleName":"`...)
		b = append(b, c.g.pick(serviceRoleNames)...)
		return append(b, `"}`...)
	}
	add("iam", "ListUsers", true, nil, nil, throttle)
	add("iam", "ListRoles", true, nil, nil, throttle)
	add("iam", "ListGroups", true, nil, nil)
	add("iam", "ListPolicies", true, lit(`{"scope":"Local","onlyAttached":false}`), nil, throttle)
	add("iam", "GetUser", true, user, nil)
	add("iam", "GetRole", true, role, nil, apiErr{code: "NoSuchEntityException", msg: "The role with name legacy-etl-role cannot be found.", p: 0.02})
	add("iam", "ListAttachedRolePolicies", true, role, nil)
	add("iam", "ListRolePolicies", true, role, nil)
	add("iam", "ListAttachedUserPolicies", true, user, nil)
	add("iam", "ListAccessKeys", true, user, nil)
	add("iam", "ListMFADevices", true, user, nil)
	add("iam", "GetAccountSummary", true, nil, nil)
	add("iam", "GetAccountPasswordPolicy", true, nil, nil)
	add("iam", "ListAccountAliases", true, nil, nil)
	add("iam", "GenerateCredentialReport", false, nil, lit(`{"state":"STARTED","description":"No report exists. Starting a new report generation task"}`))
	add("iam", "GetCredentialReport", true, nil, nil)
	add("iam", "GetPolicyVersion", true, lit(`{"policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess","versionId":"v118"}`), nil)

	// Lambda (API names carry their version).
	fn := func(b []byte, c *ectx) []byte {
		b = append(b, `{"functionName":"`...)
		b = append(b, c.g.pick(c.reg.functions)...)
		return append(b, `"}`...)
	}
	add("lambda", "ListFunctions20150331", true, nil, nil, throttle)
	add("lambda", "GetFunction20150331v2", true, fn, nil, throttle)
	add("lambda", "GetFunctionConfiguration20150331v2", true, fn, nil, throttle)
	add("lambda", "ListEventSourceMappings20150331", true, fn, nil)
	a = add("lambda", "UpdateFunctionCode20150331v2", false, func(b []byte, c *ectx) []byte {
		b = append(b, `{"functionName":"`...)
		b = append(b, c.g.pick(c.reg.functions)...)
		return append(b, `","publish":true,"dryRun":false}`...)
	}, nil, denied)
	a.version = "1.09"
	a = add("lambda", "Invoke", false, reqInvoke, nil)
	a.data, a.version, a.res = true, "1.09", resFunction

	// ECS, ECR.
	cluster := func(b []byte, c *ectx) []byte {
		b = append(b, `{"cluster":"`...)
		b = append(b, c.reg.cluster...)
		return append(b, `"}`...)
	}
	add("ecs", "ListClusters", true, nil, nil)
	add("ecs", "DescribeClusters", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"clusters":["`...)
		b = append(b, c.reg.cluster...)
		return append(b, `"]}`...)
	}, nil)
	add("ecs", "ListTasks", true, cluster, nil, throttle)
	add("ecs", "DescribeServices", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"cluster":"`...)
		b = append(b, c.reg.cluster...)
		return append(b, `","services":["api","worker"]}`...)
	}, nil, throttle)
	add("ecs", "DescribeTaskDefinition", true, lit(`{"taskDefinition":"api"}`), nil)
	add("ecs", "DiscoverPollEndpoint", true, cluster, nil)
	add("ecs", "SubmitTaskStateChange", false, cluster, lit(`{"acknowledgment":"ACK"}`))
	add("ecs", "UpdateService", false, func(b []byte, c *ectx) []byte {
		b = append(b, `{"cluster":"`...)
		b = append(b, c.reg.cluster...)
		b = append(b, `","service":"api","taskDefinition":"api:`...)
		b = strconv.AppendInt(b, int64(40+c.day%20), 10)
		return append(b, `","forceNewDeployment":false}`...)
	}, nil, denied)
	add("ecr", "GetAuthorizationToken", true, nil, nil)
	add("ecr", "BatchCheckLayerAvailability", true, lit(`{"repositoryName":"api","layerDigests":["sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1"]}`), nil)

	// CloudWatch, Logs.
	add("monitoring", "PutMetricData", false, lit(`{"namespace":"CWAgent"}`), nil, throttle)
	add("monitoring", "GetMetricData", true, lit(`{"maxDatapoints":100800}`), nil, throttle)
	add("monitoring", "DescribeAlarms", true, lit(`{"maxRecords":100}`), nil, throttle)
	add("monitoring", "ListMetrics", true, lit(`{"namespace":"AWS/EC2"}`), nil)
	add("logs", "CreateLogStream", false, func(b []byte, c *ectx) []byte {
		b = append(b, `{"logGroupName":"`...)
		b = append(b, c.reg.logGroups[0]...)
		b = append(b, `","logStreamName":"`...)
		b = appendDatePath(b, c.t, true)
		b = append(b, `/[$LATEST]`...)
		b = c.g.appendHex(b, 32)
		return append(b, `"}`...)
	}, nil)
	add("logs", "DescribeLogGroups", true, lit(`{"limit":50}`), nil, throttle)
	add("logs", "DescribeLogStreams", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"logGroupName":"`...)
		b = append(b, c.g.pick(c.reg.logGroups)...)
		return append(b, `","orderBy":"LastEventTime","descending":true,"limit":50}`...)
	}, nil, throttle)
	add("logs", "FilterLogEvents", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"logGroupName":"`...)
		b = append(b, c.g.pick(c.reg.logGroups)...)
		b = append(b, `","startTime":`...)
		b = strconv.AppendInt(b, (c.t-3600)*1000, 10)
		return append(b, `,"filterPattern":"ERROR","interleaved":true}`...)
	}, nil, throttle)

	// SSM, Secrets Manager.
	add("ssm", "UpdateInstanceInformation", false, reqUpdateInstanceInfo, nil, throttle)
	add("ssm", "ListInstanceAssociations", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"instanceId":"`...)
		b = append(b, c.instance().id...)
		return append(b, `","maxResults":20}`...)
	}, nil, throttle)
	add("ssm", "GetParameter", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"name":"`...)
		b = append(b, c.g.pick(c.reg.params)...)
		return append(b, `","withDecryption":true}`...)
	}, nil, throttle, apiErr{code: "ParameterNotFound", msg: "Parameter not found.", p: 0.01})
	add("ssm", "GetParametersByPath", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"path":"/`...)
		b = append(b, envName(c.a)...)
		return append(b, `/app","recursive":true,"withDecryption":true}`...)
	}, nil, throttle)
	add("ssm", "DescribeInstanceInformation", true, lit(`{"maxResults":50}`), nil)
	a = add("secretsmanager", "GetSecretValue", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"secretId":"`...)
		b = append(b, c.g.pick(c.reg.secrets)...)
		return append(b, `"}`...)
	}, nil, throttle, deniedExc)
	a.version = "1.11"
	add("secretsmanager", "DescribeSecret", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"secretId":"`...)
		b = append(b, c.g.pick(c.reg.secrets)...)
		return append(b, `"}`...)
	}, nil)
	add("secretsmanager", "ListSecrets", true, lit(`{"maxResults":100}`), nil)

	// Config, CloudTrail, RDS, DynamoDB, ELB, Auto Scaling, SNS.
	add("config", "DescribeConfigRules", true, nil, nil)
	add("config", "DescribeConfigurationRecorderStatus", true, lit(`{"configurationRecorderNames":[]}`), nil)
	add("config", "GetComplianceDetailsByConfigRule", true, lit(`{"configRuleName":"s3-bucket-public-read-prohibited","limit":100}`), nil)
	add("cloudtrail", "DescribeTrails", true, lit(`{"includeShadowTrails":true}`), nil)
	add("cloudtrail", "GetTrailStatus", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"name":"arn:aws:cloudtrail:`...)
		b = append(b, c.o.global...)
		b = append(b, ':')
		b = append(b, c.o.accounts[0].ID...)
		b = append(b, `:trail/`...)
		b = append(b, c.o.trailName...)
		return append(b, `"}`...)
	}, nil)
	a = add("cloudtrail", "LookupEvents", true, lit(`{"maxResults":50,"lookupAttributes":[{"attributeKey":"EventName","attributeValue":"ConsoleLogin"}]}`), nil, throttle)
	a.version = "1.09"
	add("rds", "DescribeDBInstances", true, nil, nil, throttle)
	add("rds", "DescribeDBClusters", true, lit(`{"includeShared":false}`), nil)
	add("rds", "DescribeDBSnapshots", true, lit(`{"snapshotType":"automated","includeShared":false,"includePublic":false}`), nil)
	table := func(b []byte, c *ectx) []byte {
		b = append(b, `{"tableName":"`...)
		b = append(b, c.g.pick(c.reg.tables)...)
		return append(b, `"}`...)
	}
	add("dynamodb", "DescribeTable", true, table, nil, throttle)
	add("dynamodb", "ListTables", true, nil, nil)
	for _, n := range []string{"GetItem", "PutItem", "DeleteItem"} {
		a = add("dynamodb", n, n == "GetItem", reqLockItem, nil)
		a.data, a.version, a.res = true, "1.09", resLockTable
	}
	add("elasticloadbalancing", "DescribeLoadBalancers", true, nil, nil, throttle)
	add("elasticloadbalancing", "DescribeTargetGroups", true, nil, nil, throttle)
	add("elasticloadbalancing", "DescribeTargetHealth", true, func(b []byte, c *ectx) []byte {
		b = append(b, `{"targetGroupArn":"arn:aws:elasticloadbalancing:`...)
		b = append(b, c.regionName...)
		b = append(b, ':')
		b = append(b, c.a.ID...)
		b = append(b, `:targetgroup/api/`...)
		b = append(b, hexFrom(16, strHash(c.a.ID), strHash(c.regionName))...)
		return append(b, `"}`...)
	}, nil, throttle)
	add("autoscaling", "DescribeAutoScalingGroups", true, lit(`{"maxRecords":100}`), nil, throttle)
	add("sns", "ListTopics", true, nil, nil)
	add("sqs", "ListQueues", true, nil, nil)

	// Organizations, Health, security services.
	add("organizations", "DescribeOrganization", true, nil, nil)
	add("organizations", "ListAccounts", true, nil, nil, throttle)
	a = add("health", "DescribeEventAggregates", true, lit(`{"aggregateField":"eventTypeCategory","filter":{"eventStatusCodes":["open","upcoming"]}}`), nil)
	a.prefix = "health"
	add("guardduty", "ListDetectors", true, nil, nil)
	add("guardduty", "ListFindings", true, lit(`{"detectorId":"b6c8e5a3f2d14e7a9c0b1d2e3f4a5b6c","maxResults":50}`), nil)
	add("securityhub", "GetFindings", true, lit(`{"maxResults":100}`), nil, throttle)

	// Console sign-in and service events are rendered by their own code;
	// they are listed here so habit tables can refer to them.
	a = add("signin", "ConsoleLogin", false, nil, nil)
	a.version = "1.09"
	add("kms", "RotateKey", false, nil, nil)
	add("secretsmanager", "RotationSucceeded", false, nil, nil)
	return cat
}

// Names referred to by request parameters. Renderers pick from these so
// IAM reads name users and roles that exist.
var (
	iamUsers         = []string{"alice", "bob", "carol", "ci-deployer", "breakglass-admin"}
	serviceRoleNames = []string{"app-backend-role", "orders-lambda-role", "ec2-app-instance-role", "ops-automation-role"}
)

func respEC2Return(b []byte, c *ectx) []byte {
	b = append(b, `{"requestId":"`...)
	b = append(b, c.requestID...)
	return append(b, `","_return":true}`...)
}

func reqDescribeInstances(b []byte, c *ectx) []byte {
	switch x := c.g.intn(10); {
	case x < 5:
		return append(b, `{"instancesSet":{},"filterSet":{}}`...)
	case x < 8:
		b = append(b, `{"instancesSet":{"items":[{"instanceId":"`...)
		b = append(b, c.instance().id...)
		return append(b, `"}]},"filterSet":{}}`...)
	default:
		b = append(b, `{"instancesSet":{},"filterSet":{"items":[{"name":"tag:Name","valueSet":{"items":[{"value":"`...)
		b = append(b, c.instance().name...)
		return append(b, `"}]}}]}}`...)
	}
}

func reqDescribeSGs(b []byte, c *ectx) []byte {
	if c.g.intn(2) == 0 {
		return append(b, `{"securityGroupSet":{},"securityGroupIdSet":{},"filterSet":{}}`...)
	}
	b = append(b, `{"securityGroupSet":{},"securityGroupIdSet":{"items":[{"groupId":"`...)
	b = append(b, c.reg.sgs[c.g.intn(len(c.reg.sgs))].id...)
	return append(b, `"}]},"filterSet":{}}`...)
}

func reqInstanceSet(b []byte, c *ectx) []byte {
	b = append(b, `{"instancesSet":{"items":[{"instanceId":"`...)
	b = append(b, c.instance().id...)
	return append(b, `"}]}}`...)
}

func respInstanceState(cur string, curCode int, prev string, prevCode int) func([]byte, *ectx) []byte {
	return func(b []byte, c *ectx) []byte {
		b = append(b, `{"requestId":"`...)
		b = append(b, c.requestID...)
		b = append(b, `","instancesSet":{"items":[{"instanceId":"`...)
		b = append(b, c.instance().id...)
		b = append(b, `","currentState":{"code":`...)
		b = strconv.AppendInt(b, int64(curCode), 10)
		b = append(b, `,"name":"`...)
		b = append(b, cur...)
		b = append(b, `"},"previousState":{"code":`...)
		b = strconv.AppendInt(b, int64(prevCode), 10)
		b = append(b, `,"name":"`...)
		b = append(b, prev...)
		return append(b, `"}}]}}`...)
	}
}

func reqBucket(sub string) func([]byte, *ectx) []byte {
	return func(b []byte, c *ectx) []byte {
		bk := c.bucket()
		b = append(b, `{"bucketName":"`...)
		b = append(b, bk.name...)
		b = append(b, `","Host":"`...)
		b = appendS3Host(b, bk)
		b = append(b, `","`...)
		b = append(b, sub...)
		return append(b, `":""}`...)
	}
}

func appendS3Host(b []byte, bk *bucket) []byte {
	b = append(b, bk.name...)
	b = append(b, ".s3."...)
	b = append(b, bk.region...)
	return append(b, ".amazonaws.com"...)
}

func resBucket(b []byte, c *ectx) []byte {
	b = append(b, `[{"accountId":"`...)
	b = append(b, c.a.ID...)
	b = append(b, `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::`...)
	b = append(b, c.bkt.name...)
	return append(b, `"}]`...)
}

func resObject(b []byte, c *ectx) []byte {
	b = append(b, `[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::`...)
	b = append(b, c.bkt.name...)
	b = append(b, '/')
	b = append(b, c.objKey...)
	b = append(b, `"},{"accountId":"`...)
	b = append(b, c.a.ID...)
	b = append(b, `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::`...)
	b = append(b, c.bkt.name...)
	return append(b, `"}]`...)
}

func reqObject(name string) func([]byte, *ectx) []byte {
	return func(b []byte, c *ectx) []byte {
		bk := c.bucket()
		b = append(b, `{"bucketName":"`...)
		b = append(b, bk.name...)
		b = append(b, `","Host":"`...)
		b = appendS3Host(b, bk)
		if name == "ListObjects" {
			return append(b, `","list-type":"2","prefix":"","encoding-type":"url"}`...)
		}
		c.objKey = bk.keys[c.g.intn(len(bk.keys))]
		b = append(b, `","key":`...)
		b = appendStr(b, c.objKey)
		return append(b, '}')
	}
}

func respPutObject(b []byte, c *ectx) []byte {
	if !c.bkt.encrypted {
		return append(b, "null"...)
	}
	b = append(b, `{"x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:`...)
	b = append(b, c.bkt.region...)
	b = append(b, ':')
	b = append(b, c.a.ID...)
	b = append(b, `:key/`...)
	b = append(b, c.reg.keys[0].id...)
	return append(b, `","x-amz-server-side-encryption-bucket-key-enabled":"true"}`...)
}

func addS3(b []byte, c *ectx) []byte {
	b = append(b, `{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"`...)
	b = c.g.appendAlnum(b, 76)
	b = append(b, `","bytesTransferredOut":`...)
	b = strconv.AppendInt(b, int64(200+c.g.intn(6000)), 10)
	return append(b, '}')
}

func addS3Data(name string) func([]byte, *ectx) []byte {
	return func(b []byte, c *ectx) []byte {
		in, out := 0, 0
		switch name {
		case "GetObject":
			out = 1000 + c.g.intn(2_000_000)
		case "PutObject":
			in = 1000 + c.g.intn(500_000)
		case "ListObjects":
			out = 500 + c.g.intn(20000)
		}
		b = append(b, `{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":`...)
		b = strconv.AppendInt(b, int64(in), 10)
		if c.bkt.encrypted && (name == "GetObject" || name == "PutObject") {
			b = append(b, `,"SSEApplied":"SSE_KMS"`...)
		}
		b = append(b, `,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"`...)
		b = c.g.appendAlnum(b, 76)
		b = append(b, `","bytesTransferredOut":`...)
		b = strconv.AppendInt(b, int64(out), 10)
		return append(b, '}')
	}
}

func appendKeyArn(b []byte, c *ectx, k *kmsKey) []byte {
	b = append(b, "arn:aws:kms:"...)
	b = append(b, c.regionName...)
	b = append(b, ':')
	b = append(b, c.a.ID...)
	b = append(b, ":key/"...)
	return append(b, k.id...)
}

func resKey(b []byte, c *ectx) []byte {
	b = append(b, `[{"accountId":"`...)
	b = append(b, c.a.ID...)
	b = append(b, `","type":"AWS::KMS::Key","ARN":"`...)
	b = appendKeyArn(b, c, c.kmsKey())
	return append(b, `"}]`...)
}

func reqKeyID(b []byte, c *ectx) []byte {
	b = append(b, `{"keyId":"`...)
	b = appendKeyArn(b, c, c.kmsKey())
	return append(b, `"}`...)
}

func reqDecrypt(b []byte, c *ectx) []byte {
	b = append(b, `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{`...)
	switch c.p.svc {
	case "lambda":
		b = append(b, `"aws:lambda:FunctionArn":"arn:aws:lambda:`...)
		b = append(b, c.regionName...)
		b = append(b, ':')
		b = append(b, c.a.ID...)
		b = append(b, `:function:`...)
		b = append(b, c.reg.functions[0]...)
		b = append(b, '"')
	default:
		b = append(b, `"SecretARN":"arn:aws:secretsmanager:`...)
		b = append(b, c.regionName...)
		b = append(b, ':')
		b = append(b, c.a.ID...)
		b = append(b, `:secret:`...)
		b = append(b, c.g.pick(c.reg.secrets)...)
		b = append(b, `","SecretVersionId":"`...)
		b = appendUUID(b, hash(uint64(c.t/86400)), hash(uint64(c.t/86400), 7))
		b = append(b, '"')
	}
	return append(b, `}}`...)
}

func reqGenerateDataKey(b []byte, c *ectx) []byte {
	k := c.kmsKey()
	b = append(b, `{"keyId":"`...)
	b = append(b, k.alias...)
	b = append(b, `","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::`...)
	bk := c.bucket()
	b = append(b, bk.name...)
	b = append(b, '/')
	b = append(b, bk.keys[c.g.intn(len(bk.keys))]...)
	return append(b, `"},"keySpec":"AES_256"}`...)
}

func appendRoleArn(b []byte, acctID, path, role string) []byte {
	b = append(b, "arn:aws:iam::"...)
	b = append(b, acctID...)
	b = append(b, ":role/"...)
	b = append(b, path...)
	return append(b, role...)
}

// AssumeRole is mostly made by AWS services starting a session for a
// service role; c.target says which.
func reqAssumeRole(b []byte, c *ectx) []byte {
	t := c.target()
	b = append(b, `{"roleArn":"`...)
	b = appendRoleArn(b, c.a.ID, t.rolePath, t.name)
	b = append(b, `","roleSessionName":"`...)
	b = append(b, c.targetSess...)
	return append(b, `","durationSeconds":3600}`...)
}

func respAssumeRole(b []byte, c *ectx) []byte {
	t := c.target()
	b = append(b, `{"credentials":{"accessKeyId":"ASIA`...)
	b = appendAWSIDTail(b, 16, c.g.u64())
	b = append(b, `","sessionToken":"IQoJb3JpZ2luX2Vj`...)
	b = c.g.appendAlnum(b, 280)
	b = append(b, `","expiration":"`...)
	b = append(b, awsDate(c.t+3600)...)
	b = append(b, `"},"assumedRoleUser":{"assumedRoleId":"`...)
	b = append(b, t.principalID...)
	b = append(b, ':')
	b = append(b, c.targetSess...)
	b = append(b, `","arn":"arn:aws:sts::`...)
	b = append(b, c.a.ID...)
	b = append(b, `:assumed-role/`...)
	b = append(b, t.name...)
	b = append(b, '/')
	b = append(b, c.targetSess...)
	return append(b, `"}}`...)
}

func resRole(b []byte, c *ectx) []byte {
	t := c.target()
	b = append(b, `[{"accountId":"`...)
	b = append(b, c.a.ID...)
	b = append(b, `","type":"AWS::IAM::Role","ARN":"`...)
	b = appendRoleArn(b, c.a.ID, t.rolePath, t.name)
	return append(b, `"}]`...)
}

func appendFunctionArn(b []byte, c *ectx, fn string) []byte {
	b = append(b, "arn:aws:lambda:"...)
	b = append(b, c.regionName...)
	b = append(b, ':')
	b = append(b, c.a.ID...)
	b = append(b, ":function:"...)
	return append(b, fn...)
}

func reqInvoke(b []byte, c *ectx) []byte {
	c.objKey = c.g.pick(c.reg.functions)
	b = append(b, `{"functionName":"`...)
	b = appendFunctionArn(b, c, c.objKey)
	return append(b, `","invocationType":"RequestResponse","logType":"None"}`...)
}

func resFunction(b []byte, c *ectx) []byte {
	b = append(b, `[{"accountId":"`...)
	b = append(b, c.a.ID...)
	b = append(b, `","type":"AWS::Lambda::Function","ARN":"`...)
	b = appendFunctionArn(b, c, c.objKey)
	return append(b, `"}]`...)
}

func reqLockItem(b []byte, c *ectx) []byte {
	b = append(b, `{"tableName":"terraform-locks","key":{"LockID":"examplecorp-mgmt-terraform-state/accounts/`...)
	b = append(b, envName(c.a)...)
	return append(b, `/terraform.tfstate-md5"},"consistentRead":true}`...)
}

func resLockTable(b []byte, c *ectx) []byte {
	b = append(b, `[{"accountId":"`...)
	b = append(b, c.a.ID...)
	b = append(b, `","type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:`...)
	b = append(b, c.regionName...)
	b = append(b, ':')
	b = append(b, c.a.ID...)
	return append(b, `:table/terraform-locks"}]`...)
}

func reqUpdateInstanceInfo(b []byte, c *ectx) []byte {
	in := c.instance()
	b = append(b, `{"instanceId":"`...)
	b = append(b, in.id...)
	b = append(b, `","agentVersion":"3.3.1142.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023","iPAddress":"`...)
	b = append(b, in.ip...)
	b = append(b, `","computerName":"ip-`...)
	b = append(b, strings.ReplaceAll(in.ip, ".", "-")...)
	b = append(b, `.`...)
	b = append(b, c.regionName...)
	b = append(b, `.compute.internal","agentName":"amazon-ssm-agent","availabilityZone":"`...)
	b = append(b, in.az...)
	return append(b, `","sSMConnectionChannel":"ssmmessages"}`...)
}
