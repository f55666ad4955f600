package synth

import (
	"strconv"
	"time"
)

// Events are written with append-style helpers instead of encoding/json:
// field order then matches what AWS emits, and the generator does not
// allocate per event, which is most of what makes it fast.

// appendStr appends s as a JSON string.
func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x7f {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			} else {
				b = append(b, c) // UTF-8 bytes pass through
			}
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendKey appends ,"key": (or "key": when first).
func appendKey(b []byte, key string) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' && b[n-1] != '[' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func kvStr(b []byte, key, val string) []byte { return appendStr(appendKey(b, key), val) }

func kvBool(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(appendKey(b, key), v)
}

func kvRaw(b []byte, key, raw string) []byte { return append(appendKey(b, key), raw...) }

// civil converts days since 1970-01-01 to a date (Howard Hinnant's algorithm).
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mp >= 10 {
		mm = mp - 9
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

func splitSec(sec int64) (days, hh, mm, ss int64) {
	days = sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	return days, rem / 3600, rem / 60 % 60, rem % 60
}

// appendTime appends 2006-01-02T15:04:05Z for a Unix time in seconds.
func appendTime(b []byte, sec int64) []byte {
	days, hh, mi, ss := splitSec(sec)
	y, m, d := civil(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(hh))
	b = append(b, ':')
	b = append2(b, int(mi))
	b = append(b, ':')
	b = append2(b, int(ss))
	return append(b, 'Z')
}

// appendStamp appends the compact key timestamp 20060102T1504Z, with
// seconds (20060102T150405Z) when withSec.
func appendStamp(b []byte, sec int64, withSec bool) []byte {
	days, hh, mi, ss := splitSec(sec)
	y, m, d := civil(days)
	b = append4(b, y)
	b = append2(b, m)
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(hh))
	b = append2(b, int(mi))
	if withSec {
		b = append2(b, int(ss))
	}
	return append(b, 'Z')
}

// appendDatePath appends YYYY/MM/DD (padded) or YYYY/M/D (AWS Config).
func appendDatePath(b []byte, sec int64, padded bool) []byte {
	days, _, _, _ := splitSec(sec)
	y, m, d := civil(days)
	b = append4(b, y)
	b = append(b, '/')
	if padded {
		b = append2(b, m)
		b = append(b, '/')
		return append2(b, d)
	}
	b = strconv.AppendInt(b, int64(m), 10)
	b = append(b, '/')
	return strconv.AppendInt(b, int64(d), 10)
}

func isoTime(sec int64) string { return string(appendTime(nil, sec)) }

// awsDate renders the payload date style CloudTrail uses inside
// responseElements, e.g. "Oct 21, 2026, 2:25:29 PM".
func awsDate(sec int64) string {
	return time.Unix(sec, 0).UTC().Format("Jan 2, 2006, 3:04:05 PM")
}

// credTime renders credential-report timestamps: 2026-10-31T08:15:00+00:00.
func credTime(sec int64) string {
	return time.Unix(sec, 0).UTC().Format("2006-01-02T15:04:05+00:00")
}

// msTime renders Config timestamps with milliseconds: 2026-09-01T10:00:00.000Z.
func msTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}
