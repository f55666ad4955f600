// Command auditlake turns an AWS log archive into audit evidence.
//
// This package only wires flags to the library packages: it parses flags into
// their Config structs, installs the signal handler and maps errors to exit
// codes. Each command lives in its own file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1 // the command failed
	exitUsage   = 2 // bad flags or arguments
	exitPartial = 3 // the command finished, but some inputs failed (see the summary)
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals are the flags every command shares.
type globals struct {
	db        string
	quiet     bool
	logFormat string
	logLevel  string

	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// exitError carries an exit code through cobra.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codeError{code: code, err: err}
}

func usageErr(format string, a ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, a...))
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitError
	var ce *codeError
	if errors.As(err, &ce) {
		code = ce.code
	}
	if ce == nil || ce.err.Error() != "" {
		fmt.Fprintf(stderr, "auditlake: %v\n", err)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "auditlake: interrupted; the database is consistent, re-run the command to continue")
	}
	return code
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "auditlake",
		Short: "Turn an AWS log archive into audit evidence",
		Long: `auditlake ingests CloudTrail, AWS Config history, IAM credential reports and
VPC Flow Logs from S3 (or a local copy of the archive) into a DuckDB file,
runs SQL detections mapped to SOC 2, ISO/IEC 27001:2022 and CIS AWS
Foundations controls, and produces verifiable evidence packs.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.setup()
		},
	}
	defaultDB := os.Getenv("AUDITLAKE_DB")
	if defaultDB == "" {
		defaultDB = "auditlake.duckdb"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.db, "db", defaultDB, "DuckDB database file (env AUDITLAKE_DB)")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "no progress bar and no summary; errors only")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&g.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withCode(exitUsage, fmt.Errorf("%w (see 'auditlake %s --help')", err, c.Name()))
	})
	for _, c := range commands(g) {
		root.AddCommand(c)
	}
	return root
}

// commands lists every subcommand, in the order --help shows them.
func commands(g *globals) []*cobra.Command {
	return []*cobra.Command{
		newIngestCmd(g),
		newCollectCmd(g),
		newStatusCmd(g),
		newSQLCmd(g),
		newDetectCmd(g),
		newReportCmd(g),
		newVerifyCmd(g),
		newPacksCmd(g),
		newControlsCmd(g),
		newGenerateCmd(g),
		newDemoCmd(g),
	}
}

func (g *globals) setup() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return usageErr("--log-level %q: use debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "text":
		g.log = slog.New(slog.NewTextHandler(g.stderr, opts))
	case "json":
		g.log = slog.New(slog.NewJSONHandler(g.stderr, opts))
	default:
		return usageErr("--log-format %q: use text or json", g.logFormat)
	}
	return nil
}
