package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/evidence"
)

func newVerifyCmd(g *globals) *cobra.Command {
	var pubkey string
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check that an evidence pack is complete and unchanged",
		Long: `Verify checks an evidence pack folder written by 'auditlake report':

  - manifest.json matches its own digest (manifest_sha256);
  - every file it lists is present, with its size and SHA-256;
  - no file is there that it does not list;
  - manifest.sig, when present, is a valid Ed25519 signature of manifest.json:
    by the key in --pubkey when given (which then also requires a signature),
    else by the key the manifest names (integrity only: --pubkey proves who
    signed).

Every problem is printed with the file it concerns. A zipped pack is checked
after unzipping it.

Exit codes: 0 the pack verifies; 1 it does not (a file changed, is missing
or is extra, or the signature is bad or missing) or cannot be read; 2 bad
flags.`,
		Example: `  auditlake verify evidence/2026-10_soc2_20261123T083548Z
  auditlake verify evidence/2026-10_soc2_20261123T083548Z --pubkey pub.pem`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("verify takes one pack folder (see 'auditlake verify --help')")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var pub ed25519.PublicKey
			if pubkey != "" {
				k, err := evidence.LoadPublicKey(pubkey)
				if err != nil {
					return withCode(exitUsage, err)
				}
				pub = k
			}
			v, err := evidence.Verify(args[0], pub)
			if v != nil && errors.Is(err, evidence.ErrTampered) {
				for _, p := range v.Problems {
					fmt.Fprintf(g.stdout, "FAIL  %s: %s\n", p.File, p.Problem)
				}
				return withCode(exitError, fmt.Errorf("%s does not verify: %d problem(s) above", args[0], len(v.Problems)))
			}
			if err != nil {
				return err
			}
			sig := "not signed"
			if v.Signed {
				sig = "signature valid"
			}
			fmt.Fprintf(g.stdout, "OK  %s: %d files match manifest.json (%s, generated %s); %s\n",
				args[0], v.Files, v.Manifest.Period.Label, v.Manifest.GeneratedAt, sig)
			for _, n := range v.Notes {
				fmt.Fprintf(g.stdout, "    note: %s\n", n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "Ed25519 public key (PEM or raw) the pack must be signed with")
	return cmd
}
