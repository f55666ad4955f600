package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/evidence"
)

// demoMarker is written into the archive directory once generation has
// finished, so that a second `auditlake demo` reuses the archive instead of
// writing it again (and an interrupted generation is redone).
const demoMarker = ".auditlake-demo-complete"

// demoPeriod is the month the demo analyses: the planted incidents are in
// October 2026, September is the clean baseline the anomaly detection learns
// from.
const demoPeriod = "2026-10"

func newDemoCmd(g *globals) *cobra.Command {
	var (
		dir       string
		framework string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole job on a built-in synthetic organisation",
		Long: `Run the whole job on the built-in demo organisation, Example Corp (four
accounts, three regions, September and October 2026, incidents planted in
October): generate its log archive, ingest it, run every detection over
October and build the October evidence pack, then verify the pack.

Each step is the ordinary command, printed before it runs, so the demo doubles
as a tour of the CLI. Everything goes under --dir: the archive, the database
(unless --db is given) and the evidence pack. Running the demo again reuses
the archive and ingests nothing twice.`,
		Example: `  auditlake demo
  auditlake demo --dir /tmp/auditlake-demo --framework iso27001`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErr("--dir must not be empty")
			}
			archive := filepath.Join(dir, "archive")
			db := g.db
			if !cmd.Flags().Changed("db") && !cmd.Root().PersistentFlags().Changed("db") && os.Getenv("AUDITLAKE_DB") == "" {
				db = filepath.Join(dir, "auditlake.duckdb")
			}
			evidence := filepath.Join(dir, "evidence")
			signKey, pubKey, err := demoKeys(dir)
			if err != nil {
				return err
			}
			common := []string{"--db", db, "--log-level", g.logLevel, "--log-format", g.logFormat}
			if g.quiet {
				common = append(common, "--quiet")
			}

			var steps [][]string
			if _, err := os.Stat(filepath.Join(archive, demoMarker)); err != nil {
				// A partial archive from an interrupted run is rewritten whole:
				// generation is deterministic, so the bytes are the same.
				steps = append(steps, []string{"generate", "--out", archive})
			} else {
				g.say("Reusing the demo archive in %s (delete it to generate it again).\n", archive)
			}
			steps = append(steps,
				[]string{"ingest", archive},
				[]string{"status"},
				[]string{"detect", "--period", demoPeriod},
				// --no-detect: the pack cites the run the detect step recorded.
				[]string{"report", "--period", demoPeriod, "--no-detect", "--framework", framework,
					"--org-name", "Example Corp", "--sign-key", signKey, "--out", evidence},
			)
			for i, step := range steps {
				g.say("\n==> [%d/%d] auditlake %s\n", i+1, len(steps)+1, strings.Join(quoteArgs(step), " "))
				code := run(cmd.Context(), append(common, step...), g.stdout, g.stderr)
				switch {
				case code == exitOK:
				case step[0] == "ingest" && code == exitPartial:
					// The demo archive has no broken objects; if some failed,
					// the summary above says which and the rest still works.
				default:
					return withCode(code, fmt.Errorf("demo step 'auditlake %s' failed (exit code %d); see the messages above", step[0], code))
				}
				if step[0] == "generate" {
					if err := os.WriteFile(filepath.Join(archive, demoMarker), nil, 0o644); err != nil {
						return err
					}
				}
			}

			pack, err := latestPack(evidence)
			if err != nil {
				return err
			}
			g.say("\n==> [%d/%d] auditlake verify %s --pubkey %s\n", len(steps)+1, len(steps)+1, pack, pubKey)
			if code := run(cmd.Context(), append(common, "verify", pack, "--pubkey", pubKey), g.stdout, g.stderr); code != exitOK {
				return withCode(code, fmt.Errorf("the evidence pack %s did not verify", pack))
			}

			g.say(`
Done. The evidence pack is in %[1]s (open report.pdf);
it is signed with the demo key %[3]s (public half next to it).
Explore the data yourself:
  auditlake --db %[2]s sql "SELECT principal, count(*) FROM cloudtrail GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
  auditlake --db %[2]s sql "SELECT * FROM findings ORDER BY severity, detection_id"
  auditlake --db %[2]s detect --detection ct_root_account_usage --format jsonl
  duckdb %[2]s        # it is a plain DuckDB file
`, pack, db, signKey)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".cache/demo", "directory for the demo archive, database and evidence pack")
	cmd.Flags().StringVar(&framework, "framework", "soc2", "framework of the evidence pack: soc2, iso27001 or cis")
	return cmd
}

// demoKeys returns the demo's Ed25519 signing key and public key files,
// creating them under dir on first use. A real organisation keeps its key
// elsewhere (an HSM or a secrets manager) and hands auditors the public key.
func demoKeys(dir string) (private, public string, err error) {
	private = filepath.Join(dir, "demo-signing-key.pem")
	public = filepath.Join(dir, "demo-signing-key.pub.pem")
	if _, err := os.Stat(private); err == nil {
		if _, err := os.Stat(public); err == nil {
			return private, public, nil
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	privPEM, err := evidence.MarshalPrivateKey(priv)
	if err != nil {
		return "", "", err
	}
	pubPEM, err := evidence.MarshalPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(private, privPEM, 0o600); err != nil {
		return "", "", err
	}
	return private, public, os.WriteFile(public, pubPEM, 0o644)
}

// say prints progress text unless --quiet.
func (g *globals) say(format string, a ...any) {
	if !g.quiet {
		fmt.Fprintf(g.stdout, format, a...)
	}
}

// latestPack finds the most recent evidence pack folder under dir. Pack
// folder names end in their generation time, so the greatest name of the
// newest modification time wins.
func latestPack(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("looking for the evidence pack: %w", err)
	}
	var best string
	var bestTime int64
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if t := info.ModTime().UnixNano(); best == "" || t > bestTime || (t == bestTime && e.Name() > filepath.Base(best)) {
			best, bestTime = filepath.Join(dir, e.Name()), t
		}
	}
	if best == "" {
		return "", errors.New("the report step wrote no evidence pack folder in " + dir)
	}
	return best, nil
}

// quoteArgs quotes the arguments that a shell would split, for display.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}
