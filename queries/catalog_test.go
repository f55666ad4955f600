package queries

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodHeader = `-- id: x_test
-- title: A test detection
-- severity: low
-- sources: [cloudtrail]
-- params:
--   min_calls: {default: 2, description: "fewest calls"}
-- controls: {soc2: [CC7.2], cis_aws_v3: ["4.1"]}
`

const goodQuery = `SELECT recipient_account_id AS account_id FROM cloudtrail
WHERE event_time >= $window_start AND event_time < $window_end
GROUP BY 1 HAVING count(*) >= $min_calls
`

func writePack(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	pack := filepath.Join(dir, "mypack")
	if err := os.MkdirAll(pack, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, ok := files["pack.yaml"]; !ok {
		files["pack.yaml"] = "name: mypack\ntitle: My pack\nversion: 0.1.0\n"
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(pack, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadEmbedded(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := c.Detection("ct_console_login_without_mfa")
	if !ok {
		t.Fatal("ct_console_login_without_mfa not loaded")
	}
	if d.Pack.Name != "cloudtrail" || d.Severity != "high" || d.Controls.CISAWSv3[0] != "4.2" || !strings.HasPrefix(d.SQL, "WITH") {
		t.Errorf("unexpected detection: pack %s severity %s controls %v sql %.20q", d.Pack.Name, d.Severity, d.Controls, d.SQL)
	}
	for _, fw := range Frameworks {
		if len(c.Controls[fw]) == 0 {
			t.Errorf("no %s controls", fw)
		}
	}
	if ctl, ok := c.Control("cis_aws_v3", "4.3"); !ok || ctl.Responsibility != "root_account" {
		t.Errorf("CIS 4.3: %+v %v", ctl, ok)
	}
}

func TestLoadDirGood(t *testing.T) {
	dir := writePack(t, map[string]string{"x_test.sql": goodHeader + goodQuery})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := c.Detection("x_test")
	if !ok {
		t.Fatal("x_test not loaded")
	}
	if d.Pack.Origin != filepath.Join(dir, "mypack") {
		t.Errorf("origin %q", d.Pack.Origin)
	}
	if p, _ := d.Param("min_calls"); p.Default != 2 {
		t.Errorf("min_calls default %#v", p.Default)
	}
	// The pack directory itself works too.
	if _, err := Load(filepath.Join(dir, "mypack")); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, body, want string
	}{
		{"unknown header key", "x_test.sql", strings.Replace(goodHeader, "-- severity: low\n", "-- severity: low\n-- owner: me\n", 1) + goodQuery, `x_test.sql:4: unknown key "owner"`},
		{"missing title", "x_test.sql", strings.Replace(goodHeader, "-- title: A test detection\n", "", 1) + goodQuery, "x_test.sql:1: header has no title"},
		{"missing controls", "x_test.sql", strings.Replace(goodHeader, `-- controls: {soc2: [CC7.2], cis_aws_v3: ["4.1"]}`+"\n", "", 1) + goodQuery, "header has no controls"},
		{"id differs from file", "y_test.sql", goodHeader + goodQuery, `y_test.sql:1: id "x_test" differs from the file name y_test.sql`},
		{"bad severity", "x_test.sql", strings.Replace(goodHeader, "low", "urgent", 1) + goodQuery, `x_test.sql:3: severity "urgent"`},
		{"unknown control", "x_test.sql", strings.Replace(goodHeader, "CC7.2", "CC9.9", 1) + goodQuery, `x_test.sql:7: unknown soc2 control "CC9.9"`},
		{"unknown source", "x_test.sql", strings.Replace(goodHeader, "[cloudtrail]", "[guardduty]", 1) + goodQuery, `x_test.sql:4: unknown source "guardduty"`},
		{"undeclared param", "x_test.sql", goodHeader + strings.Replace(goodQuery, "$min_calls", "$max_calls", 1), `x_test.sql:10: $max_calls is not a declared param`},
		{"unused param", "x_test.sql", goodHeader + strings.Replace(goodQuery, "$min_calls", "2", 1), `x_test.sql:5: param min_calls is declared but the query never uses $min_calls`},
		{"no header", "x_test.sql", goodQuery, "x_test.sql:1: no header"},
		{"no query", "x_test.sql", goodHeader, "no query after the header"},
		{"duplicate id across packs", "ct_root_account_usage.sql", strings.Replace(goodHeader, "x_test", "ct_root_account_usage", 1) + goodQuery, "detection id ct_root_account_usage is already defined in queries/packs/cloudtrail/ct_root_account_usage.sql"},
		{"bad version", "pack.yaml", "name: mypack\ntitle: t\nversion: one\n", `version "one" is not a semantic version`},
		{"unknown pack key", "pack.yaml", "name: mypack\ntitle: t\nversion: 1.0.0\nauthor: me\n", `pack.yaml:4: unknown key "author"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{tc.file: tc.body}
			if tc.file == "pack.yaml" {
				files["x_test.sql"] = goodHeader + goodQuery
			}
			_, err := Load(writePack(t, files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParamUses(t *testing.T) {
	q := "SELECT $a, '$notme', \"$nor_me\" -- $comment\n, $b /* $c */ FROM t WHERE x = $a\n"
	var got []string
	for _, u := range paramUses(q) {
		got = append(got, u.name)
	}
	if strings.Join(got, ",") != "a,b,a" {
		t.Errorf("got %v", got)
	}
}
