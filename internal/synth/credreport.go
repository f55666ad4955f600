package synth

import (
	"strings"
	"time"
)

// IAM credential reports, as GetCredentialReport returns them: CSV with
// the current 22-column header, one row for the root user ("<root_account>")
// and one per IAM user, stored weekly per account at
// credential-reports/<account>/<YYYY-MM-DD>.csv. The rows agree with the
// CloudTrail story: bob has a console password and no MFA, dev's root has
// no MFA and gains an access key in the root_console_login incident, prod's
// root keeps a legacy key, ci-deployer in prod gains a second key, and the
// break-glass user's credentials have not been used for a year.

const credHeader = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
	"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
	"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
	"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

// credKey is one access key column group.
type credKey struct {
	active          bool
	rotated         int64 // 0: N/A
	used            int64 // 0: N/A
	region, service string
}

func (k credKey) fields() []string {
	if k.rotated == 0 {
		return []string{"false", "N/A", "N/A", "N/A", "N/A"}
	}
	f := []string{boolStr(k.active), credTime(k.rotated), "N/A", "N/A", "N/A"}
	if k.used != 0 {
		f[2], f[3], f[4] = credTime(k.used), k.region, k.service
	}
	return f
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// daysBefore is a fixed date relative to the period start.
func daysBefore(o *org, d int, salt string) int64 {
	return o.cfg.startSec() - int64(d)*86400 + int64(hash(uint64(o.seed), strHash(salt))%50000)
}

func (w *worker) credentialReports(a *acct) error {
	gen, o := w.gen, w.gen.o
	sc := &gen.plan.sc
	last := o.cfg.Days - 1
	for d := last % 7; d <= last; d += 7 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		t := o.cfg.startSec() + int64(d)*86400 + 8*3600 + 15*60
		recent := func(name string) int64 { // last use a few hours before the report
			return t - int64(3600+hash(uint64(o.seed), strHash(a.ID+name), uint64(t))%(20*3600))
		}
		var rows [][]string
		// Root.
		pwUsed := "no_information"
		switch {
		case a == sc.dev && sc.rootLogin > 0 && sc.rootLogin <= t:
			pwUsed = credTime(sc.rootLogin)
		case a == sc.mgmt && gen.plan.rootBilling > 0 && gen.plan.rootBilling <= t:
			pwUsed = credTime(gen.plan.rootBilling)
		case a.Role == RoleProd || a.Role == RoleManagement:
			pwUsed = credTime(daysBefore(o, 300, a.ID+"rootpw"))
		}
		rk := credKey{}
		if a.rootKey {
			rk = credKey{active: true, rotated: daysBefore(o, 2600, a.ID+"rootkey"), used: daysBefore(o, 570, a.ID+"rootuse"), region: "us-east-1", service: "iam"}
		}
		if a == sc.dev && sc.rootKeyCreated > 0 && sc.rootKeyCreated <= t {
			rk = credKey{active: true, rotated: sc.rootKeyCreated}
		}
		row := []string{"<root_account>", "arn:aws:iam::" + a.ID + ":root", credTime(daysBefore(o, 2900, a.ID+"root")), "not_supported", pwUsed, "not_supported", "not_supported", boolStr(a.rootMFA)}
		row = append(row, rk.fields()...)
		row = append(row, credKey{}.fields()...)
		rows = append(rows, append(row, "false", "N/A", "false", "N/A"))

		for _, name := range []string{"alice", "bob", "breakglass-admin", "carol", "ci-deployer"} {
			p := a.byName[name]
			home := a.home
			pwEnabled, pw, pwChanged := true, "", ""
			var k1, k2 credKey
			switch name {
			case "alice":
				pw, pwChanged = credTime(recent("alice-pw")), credTime(daysBefore(o, 60, a.ID+name))
				k1 = credKey{active: true, rotated: daysBefore(o, 40, a.ID+name+"k"), used: recent(name), region: home, service: "ec2"}
			case "bob":
				pw, pwChanged = credTime(daysBefore(o, 190, a.ID+name)), credTime(daysBefore(o, 420, a.ID+name))
				if a == sc.mgmt && sc.bobLogin > 0 && sc.bobLogin <= t {
					pw = credTime(sc.bobLogin)
				}
				k1 = credKey{active: true, rotated: daysBefore(o, 290, a.ID+name+"k"), used: recent(name), region: home, service: "s3"}
			case "breakglass-admin":
				pw, pwChanged = credTime(daysBefore(o, 330, a.ID+name)), credTime(daysBefore(o, 700, a.ID+name))
				k1 = credKey{active: true, rotated: daysBefore(o, 800, a.ID+name+"k")}
			case "carol":
				pw, pwChanged = credTime(recent("carol-pw")), credTime(daysBefore(o, 80, a.ID+name))
				k1 = credKey{active: true, rotated: daysBefore(o, 70, a.ID+name+"k"), used: recent(name), region: home, service: "iam"}
				if a.Role == RoleManagement {
					k2 = credKey{active: true, rotated: daysBefore(o, 25, a.ID+name+"k2"), used: daysBefore(o, 20, a.ID+name+"u2"), region: home, service: "s3"}
				}
			case "ci-deployer":
				pwEnabled = false
				k1 = credKey{active: true, rotated: daysBefore(o, 380, a.ID+name+"k"), used: recent(name), region: home, service: "sts"}
				if a == sc.prod && sc.ciKey2 > 0 && sc.ciKey2 <= t {
					k2 = credKey{active: true, rotated: sc.ciKey2}
				}
			}
			row := []string{name, "arn:aws:iam::" + a.ID + ":user/" + name, credTime(userCreated(o, a, name)), boolStr(pwEnabled)}
			if pwEnabled {
				row = append(row, pw, pwChanged, "N/A", boolStr(p.mfa))
			} else {
				row = append(row, "N/A", "N/A", "N/A", "false")
			}
			row = append(row, k1.fields()...)
			row = append(row, k2.fields()...)
			rows = append(rows, append(row, "false", "N/A", "false", "N/A"))
		}
		var sb strings.Builder
		sb.WriteString(credHeader)
		for _, r := range rows {
			sb.WriteByte('\n')
			sb.WriteString(strings.Join(r, ","))
		}
		w.m.CredentialReportRows += int64(len(rows))
		buf := getBuf()
		buf.WriteString(sb.String())
		key := o.cfg.Prefix + "credential-reports/" + a.ID + "/" + time.Unix(t, 0).UTC().Format(time.DateOnly) + ".csv"
		if err := w.send(key, KindCredentialReport, buf); err != nil {
			return err
		}
	}
	return nil
}
