package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/ingest/objstore"
)

func newCollectCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Fetch evidence that AWS keeps no log of (IAM credential reports) into the archive",
		Long: `Collect calls AWS APIs for evidence that is not delivered to S3 on its own and
writes it into the archive, where ingest picks it up like any log.`,
	}
	cmd.AddCommand(newCollectCredentialReportCmd(g))
	return cmd
}

type collectFlags struct {
	profile  string
	region   string
	endpoint string
	out      string
	roles    []string
	wait     time.Duration
}

// IAM generates a report in seconds to minutes; polls start quickly and
// back off. Variables so that tests can shorten them.
var (
	reportPollFirst = 500 * time.Millisecond
	reportPollMax   = 10 * time.Second
)

// sessionName is the role session name collect assumes roles with: it shows
// in the member accounts' CloudTrail as who fetched the reports.
const sessionName = "auditlake-collect"

// collectParallel bounds the accounts collected at once.
const collectParallel = 4

func newCollectCredentialReportCmd(g *globals) *cobra.Command {
	var f collectFlags
	cmd := &cobra.Command{
		Use:   "credential-report --out s3://bucket/prefix|DIR",
		Short: "Generate and store the IAM credential report of this account and of each --role-arn's",
		Long: `credential-report asks IAM to generate a credential report (GenerateCredentialReport,
polled until it is complete), downloads it (GetCredentialReport) and stores the CSV
exactly as IAM returned it at

  <out>/credential-reports/<account>/<generation time, YYYY-MM-DDTHHMMSSZ>.csv

so that 'auditlake ingest' loads it into the credential_report table with its
generation time. The account is the caller's (sts GetCallerIdentity), plus the
account of each --role-arn, assumed with the session name auditlake-collect.

The credentials need iam:GenerateCredentialReport and iam:GetCredentialReport (in
each role's account), sts:AssumeRole on each --role-arn, and write access to --out.
IAM reuses a report generated in the last four hours, so the stored time may be
earlier than now.

--endpoint-url points the writes to --out at an S3-compatible server. IAM and STS
endpoints follow the AWS configuration (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS).`,
		Example: `  auditlake collect credential-report --out s3://org-log-archive/
  auditlake collect credential-report --out ./archive \
      --role-arn arn:aws:iam::111122223333:role/AuditReader --role-arn arn:aws:iam::444455556666:role/AuditReader`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCollectCredentialReport(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "where to store the reports: s3://bucket/prefix or a directory (required)")
	fl.StringArrayVar(&f.roles, "role-arn", nil, "also collect the account of this role, assumed from the caller's credentials (repeatable)")
	fl.StringVar(&f.profile, "profile", "", "AWS profile from the shared configuration")
	fl.StringVar(&f.region, "region", "", "AWS region for STS and the bucket (default: from the AWS configuration, else us-east-1)")
	fl.StringVar(&f.endpoint, "endpoint-url", "", "S3-compatible endpoint for --out (default: AWS, or AWS_ENDPOINT_URL_S3)")
	fl.DurationVar(&f.wait, "wait", 5*time.Minute, "how long to wait for IAM to generate a report")
	return cmd
}

// collectTarget is one account to collect: the caller's, or a role's.
type collectTarget struct {
	role string // "" for the caller's own account
	cfg  aws.Config
}

func (t collectTarget) String() string {
	if t.role == "" {
		return "caller's account"
	}
	return t.role
}

// collected is what was stored for one account.
type collected struct {
	account   string
	location  string
	generated time.Time
	users     int
	err       error
}

func runCollectCredentialReport(ctx context.Context, g *globals, f collectFlags) error {
	if f.out == "" {
		return usageErr("--out is required: s3://bucket/prefix or a directory")
	}
	if f.wait <= 0 {
		return usageErr("--wait %s: must be positive", f.wait)
	}
	for _, r := range f.roles {
		if a, err := arn.Parse(r); err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
			return usageErr("--role-arn %q: want a role ARN such as arn:aws:iam::111122223333:role/AuditReader", r)
		}
	}
	var opts []func(*config.LoadOptions) error
	if f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
	}
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	base, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("AWS configuration: %w", err)
	}
	if base.Region == "" {
		base.Region = "us-east-1" // IAM is global; STS answers in every region
	}
	kind, dir, _, err := objstore.ParseURI(f.out)
	if err != nil {
		return usageErr("--out: %v", err)
	}
	if kind == "file" {
		// The archive may start with this command.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	store, prefix, err := objstore.Open(ctx, f.out, objstore.S3Config{EndpointURL: f.endpoint, Region: f.region, Profile: f.profile})
	if err != nil {
		return err
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}

	targets := []collectTarget{{cfg: base}}
	stsc := sts.NewFromConfig(base)
	for _, r := range f.roles {
		c := base.Copy()
		c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, r, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = sessionName
		}))
		targets = append(targets, collectTarget{role: r, cfg: c})
	}

	results := make([]collected, len(targets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, collectParallel)
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = collectCredentialReport(ctx, t, store, prefix, f.wait)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	failed := 0
	for i, r := range results {
		if r.err != nil {
			failed++
			fmt.Fprintf(g.stderr, "auditlake: %s: %v\n", targets[i], r.err)
			continue
		}
		if !g.quiet {
			fmt.Fprintf(g.stdout, "wrote %s (account %s, %d users, generated %s)\n", r.location, r.account, r.users, r.generated.Format(time.RFC3339))
		}
	}
	switch {
	case failed == len(targets):
		return withCode(exitError, errors.New("no credential report collected"))
	case failed > 0:
		return withCode(exitPartial, fmt.Errorf("%d of %d accounts failed; the others' reports are stored", failed, len(targets)))
	}
	return nil
}

// collectCredentialReport fetches one account's report and stores it.
func collectCredentialReport(ctx context.Context, t collectTarget, store objstore.Store, prefix string, wait time.Duration) collected {
	var res collected
	id, err := sts.NewFromConfig(t.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		res.err = explainAWSError(err, t)
		return res
	}
	res.account = aws.ToString(id.Account)
	client := iam.NewFromConfig(t.cfg)
	out, err := fetchCredentialReport(ctx, client, wait)
	if err != nil {
		res.err = explainAWSError(err, t)
		return res
	}
	if out.GeneratedTime == nil || len(out.Content) == 0 {
		res.err = errors.New("GetCredentialReport returned no report (no content or no generation time)")
		return res
	}
	res.generated = out.GeneratedTime.UTC()
	key := prefix + "credential-reports/" + res.account + "/" + res.generated.Format("2006-01-02T150405Z") + ".csv"
	// The bytes are IAM's, unchanged: the time goes in the key only.
	if err := store.Put(ctx, key, bytes.NewReader(out.Content), int64(len(out.Content))); err != nil {
		res.err = fmt.Errorf("store the report: %w", err)
		return res
	}
	res.location = strings.TrimSuffix(store.URI(), "/") + "/" + key
	res.users = bytes.Count(bytes.TrimRight(out.Content, "\r\n"), []byte("\n")) // lines after the header
	return res
}

// fetchCredentialReport asks IAM to generate a report until it says the
// report is complete, then downloads it. It gives up after wait.
func fetchCredentialReport(ctx context.Context, client *iam.Client, wait time.Duration) (*iam.GetCredentialReportOutput, error) {
	deadline := time.Now().Add(wait)
	delay := reportPollFirst
	for {
		gen, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, err
		}
		if gen.State == iamtypes.ReportStateTypeComplete {
			out, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			var notReady *iamtypes.CredentialReportNotReadyException
			if !errors.As(err, &notReady) {
				return out, err
			}
		}
		if time.Now().Add(delay).After(deadline) {
			return nil, fmt.Errorf("IAM had not finished the credential report after %s (state %s); run the command again later or raise --wait", wait, gen.State)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, reportPollMax)
	}
}

// explainAWSError says what to do about the errors a user can fix.
func explainAWSError(err error, t collectTarget) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	op := innermostOperation(err)
	switch ae.ErrorCode() {
	case "AccessDenied", "AccessDeniedException":
		switch op {
		case "AssumeRole":
			return fmt.Errorf("cannot assume the role: the caller needs sts:AssumeRole on %s and the role's trust policy must allow the caller: %w", t.role, err)
		case "GenerateCredentialReport", "GetCredentialReport":
			return fmt.Errorf("access denied: the credentials need iam:GenerateCredentialReport and iam:GetCredentialReport: %w", err)
		}
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException":
		return fmt.Errorf("the AWS credentials were rejected (check AWS_PROFILE/--profile, or refresh an expired session): %w", err)
	case "ReportExpired":
		return fmt.Errorf("IAM says the report expired while it was downloaded; run the command again: %w", err)
	}
	return err
}

// innermostOperation names the AWS operation that failed: with assumed-role
// credentials, a GetCallerIdentity error wraps the AssumeRole one that
// caused it.
func innermostOperation(err error) string {
	op := ""
	for err != nil {
		if oe, ok := err.(*smithy.OperationError); ok {
			op = oe.Operation()
		}
		err = errors.Unwrap(err)
	}
	return op
}
