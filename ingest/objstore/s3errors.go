package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// s3Error is what every S3 call returns on failure: a message written for
// the user (what failed, why, what to do), with the sentinel it stands for
// (ErrNotFound, ErrAccessDenied, ErrChanged or none) and the SDK's error
// both reachable through errors.Is and errors.As. Error() is built here and
// scrubbed of credentials, whatever the SDK or the server put in theirs.
type s3Error struct {
	msg  string
	kind error
	err  error
}

func (e *s3Error) Error() string { return e.msg }

func (e *s3Error) Unwrap() []error {
	if e.kind != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.err}
}

// mapErr turns an SDK error from operation op ("list", "get", ...) on key
// (or prefix) into an *s3Error.
func (s *s3Store) mapErr(ctx context.Context, op, key string, err error) error {
	where := s.where(key)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return &s3Error{msg: fmt.Sprintf("s3: %s %s: %v", op, where, ctx.Err()), err: err}
	}
	var (
		code, msg, reqID string
		status           int
	)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code, msg = apiErr.ErrorCode(), apiErr.ErrorMessage()
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil {
		status = respErr.Response.StatusCode
	}
	var awsResp *awshttp.ResponseError
	if errors.As(err, &awsResp) {
		reqID = awsResp.RequestID
	}
	detail := code
	if status != 0 {
		detail = strings.TrimSpace(fmt.Sprintf("%s HTTP %d", code, status))
	}
	if msg != "" && msg != code {
		detail += ": " + msg
	}
	if reqID != "" {
		detail += ", request id " + reqID
	}
	_, region := s.current()
	ep := s.endpoint
	if ep == "" {
		ep = "AWS S3 in " + region
	}

	var kind error
	var text string
	switch {
	case code == "NoSuchBucket":
		kind = ErrNotFound
		text = fmt.Sprintf("bucket %q does not exist at %s (%s): check the bucket name and --endpoint-url / AWS_ENDPOINT_URL_S3", s.cfg.Bucket, ep, detail)
	case code == "NoSuchKey" || code == "NotFound" || status == http.StatusNotFound:
		kind = ErrNotFound
		text = fmt.Sprintf("%v (%s)", ErrNotFound, detail)
	case code == "PreconditionFailed" || status == http.StatusPreconditionFailed:
		kind = ErrChanged
		text = fmt.Sprintf("%v: the object was overwritten after it was listed (%s); run again to read the new version", ErrChanged, detail)
	case code == "InvalidAccessKeyId":
		kind = ErrAccessDenied
		text = fmt.Sprintf("%v: the access key is not known to %s (%s): check AWS_ACCESS_KEY_ID or the profile (--profile / AWS_PROFILE), and that the endpoint is the one the key belongs to", ErrAccessDenied, ep, detail)
	case code == "SignatureDoesNotMatch":
		kind = ErrAccessDenied
		text = fmt.Sprintf("%v: the request signature does not match (%s): the secret key does not belong to the access key; check AWS_SECRET_ACCESS_KEY or the profile (--profile / AWS_PROFILE)", ErrAccessDenied, detail)
	case code == "ExpiredToken" || code == "TokenRefreshRequired" || code == "InvalidToken" || code == "InvalidTokenId" || code == "ExpiredTokenException":
		kind = ErrAccessDenied
		text = fmt.Sprintf("%v: the session credentials have expired or are invalid (%s): refresh them (aws sso login, or assume the role again) and retry", ErrAccessDenied, detail)
	case code == "AccessDenied" || code == "Forbidden" || code == "AllAccessDisabled" || status == http.StatusForbidden:
		kind = ErrAccessDenied
		text = fmt.Sprintf("%v (%s): %s", ErrAccessDenied, detail, accessHint(op, s.cfg.Bucket))
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == http.StatusMovedPermanently:
		text = fmt.Sprintf("bucket %q is not reachable in region %s (%s): pass --region with the bucket's region", s.cfg.Bucket, region, detail)
		if r := bucketRegion(err); r != "" {
			text = fmt.Sprintf("bucket %q is in region %s, not %s (%s): pass --region %s", s.cfg.Bucket, r, region, detail, r)
		}
	case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests || status >= 500:
		text = fmt.Sprintf("the server kept failing or throttling (%s) through %d attempts: retry later, or with fewer parallel workers", detail, s.maxAttempts)
	case isCredentialsErr(err):
		kind = ErrAccessDenied
		why := errors.Unwrap(err).Error()
		why = strings.TrimPrefix(strings.TrimPrefix(why, "get identity: "), "get credentials: ")
		text = fmt.Sprintf("%v: no usable AWS credentials (%s). Set AWS_PROFILE or --profile (and run `aws sso login` for an SSO profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", ErrAccessDenied, why)
	default:
		// Connection failures and the like, after the retryer gave up: the
		// SDK's text is the most precise there is.
		text = err.Error()
	}
	return &s3Error{msg: s.creds.redact(fmt.Sprintf("s3: %s %s: %s", op, where, text)), kind: kind, err: err}
}

// accessHint says which permission op needs.
func accessHint(op, bucket string) string {
	var perm string
	switch op {
	case "list":
		perm = fmt.Sprintf("s3:ListBucket on arn:aws:s3:::%s", bucket)
	case "put":
		perm = fmt.Sprintf("s3:PutObject on arn:aws:s3:::%s/*", bucket)
	default:
		perm = fmt.Sprintf("s3:GetObject on arn:aws:s3:::%s/* (and kms:Decrypt on the key, for SSE-KMS objects such as CloudTrail's)", bucket)
	}
	return fmt.Sprintf("the credentials in use may not do this. Check that they are the ones you mean (--profile / AWS_PROFILE, `aws sts get-caller-identity`), and that the identity's IAM policy and the bucket policy allow %s", perm)
}

// isCredentialsErr reports a failure to obtain credentials, before any
// request was sent.
func isCredentialsErr(err error) bool {
	var opErr *smithy.OperationError
	if !errors.As(err, &opErr) {
		return false
	}
	m := opErr.Err.Error()
	return strings.HasPrefix(m, "get identity:") || strings.Contains(m, "failed to retrieve credentials") ||
		strings.Contains(m, "failed to refresh cached credentials")
}

// bucketRegion returns the region S3 named in an error response's
// x-amz-bucket-region header, if any.
func bucketRegion(err error) string {
	var respErr *smithyhttp.ResponseError
	if !errors.As(err, &respErr) || respErr.Response == nil {
		return ""
	}
	return respErr.Response.Header.Get("X-Amz-Bucket-Region")
}

// recordingCreds passes credentials through and remembers the secret parts
// it handed out, so that no error message can carry them.
type recordingCreds struct {
	inner aws.CredentialsProvider

	mu      sync.Mutex
	secrets []string
}

func (r *recordingCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := r.inner.Retrieve(ctx)
	if err == nil {
		r.mu.Lock()
		for _, s := range []string{c.SecretAccessKey, c.SessionToken, c.AccessKeyID} {
			if len(s) >= 8 && !contains(r.secrets, s) {
				r.secrets = append(r.secrets, s)
			}
		}
		if n := len(r.secrets); n > 12 { // rotated credentials: keep the recent ones
			r.secrets = append(r.secrets[:0], r.secrets[n-12:]...)
		}
		r.mu.Unlock()
	}
	return c, err
}

// IsCredentialsProvider lets the SDK see what is wrapped (it treats
// anonymous credentials and caches specially).
func (r *recordingCreds) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(r.inner, target)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// redact removes every credential this store used, and those in the
// environment, from s.
func (r *recordingCreds) redact(s string) string {
	r.mu.Lock()
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	r.mu.Unlock()
	return redactEnv(s)
}

// redactEnv removes the credentials in the environment from s.
func redactEnv(s string) string {
	for _, v := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"} {
		if secret := os.Getenv(v); len(secret) >= 8 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}
