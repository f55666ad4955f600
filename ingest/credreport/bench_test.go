package credreport

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// benchReport is a report of n users in the current format.
func benchReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(requiredFieldsCurrent, ","))
	b.WriteString("\n<root_account>,arn:aws:iam::111122223333:root,2019-03-01T09:00:00+00:00,not_supported,2026-10-02T07:12:44+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
	for i := range n {
		fmt.Fprintf(&b, "user-%06d,arn:aws:iam::111122223333:user/team/user-%06d,2021-06-10T08:30:00+00:00,true,2026-10-30T17:01:02+00:00,2026-08-01T09:00:00+00:00,N/A,%v,"+
			"true,2026-09-01T10:00:00+00:00,2026-10-31T06:40:00+00:00,eu-west-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n", i, i, i%2 == 0)
	}
	return b.Bytes()
}

var requiredFieldsCurrent = []string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service", "access_key_2_active", "access_key_2_last_rotated",
	"access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active",
	"cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"}

// BenchmarkDecode: a 50,000-user report (an unusually large account).
func BenchmarkDecode(b *testing.B) {
	body := benchReport(50000)
	obj := objectFor("credential-reports/111122223333/2026-10-31T081500Z.csv")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var rows int64
		st, err := New().Decode(context.Background(), obj, bytes.NewReader(body), func(r arrow.RecordBatch) error {
			rows += r.NumRows()
			r.Release()
			return nil
		})
		if err != nil || st.Skipped != 0 || rows != 50001 {
			b.Fatal(err, st, rows)
		}
	}
}
