package cloudtrail

import (
	"bytes"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// userIdentity keeps the raw userIdentity object and flattens the fields
// investigators filter on. Unusable nested values become NULL; the raw JSON
// keeps them.
func (d *decoder) userIdentity(v jsontext.Value) error {
	if len(v) == 0 || v[0] != '{' {
		if len(v) > 0 && v[0] != 'n' {
			d.setJSON(colUserIdentity, v) // not an object: keep it, flatten nothing
		}
		return nil
	}
	d.setJSON(colUserIdentity, v)
	raw := d.arena[d.row[colUserIdentity].start:d.row[colUserIdentity].end]
	d.sub.Reset(bytes.NewReader(raw), decodeOpts...)
	return d.object(d.sub, identityFields)
}

// A fieldSpec maps member names of a nested object to columns (col >= 0) or
// to a nested object's own spec.
type fieldSpec map[string]struct {
	col    int
	nested fieldSpec
}

var identityFields = fieldSpec{
	"type":        {col: colIdentityType},
	"principalId": {col: colIdentityPrincipalID},
	"arn":         {col: colIdentityArn},
	"accountId":   {col: colIdentityAccountID},
	"accessKeyId": {col: colIdentityAccessKeyID},
	"userName":    {col: colIdentityUserName},
	"invokedBy":   {col: colIdentityInvokedBy},
	"sessionContext": {col: -1, nested: fieldSpec{
		"sourceIdentity": {col: colSessionSourceIdentity},
		"sessionIssuer": {col: -1, nested: fieldSpec{
			"type":        {col: colSessionIssuerType},
			"principalId": {col: colSessionIssuerPrincipalID},
			"arn":         {col: colSessionIssuerArn},
			"accountId":   {col: colSessionIssuerAccountID},
			"userName":    {col: colSessionIssuerUserName},
		}},
		"attributes": {col: -1, nested: fieldSpec{
			"creationDate":     {col: colSessionCreationDate},
			"mfaAuthenticated": {col: colSessionMFAAuthenticated},
		}},
	}},
}

// object reads the object the decoder is positioned at (its '{' not yet
// read) into the columns spec names.
func (d *decoder) object(dec *jsontext.Decoder, spec fieldSpec) error {
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		k, err := dec.ReadValue()
		if err != nil {
			return err
		}
		f, ok := spec[string(unquoteKey(k))]
		switch {
		case !ok:
			err = dec.SkipValue()
		case f.nested != nil:
			if dec.PeekKind() == '{' {
				err = d.object(dec, f.nested)
			} else {
				err = dec.SkipValue()
			}
		default:
			var v jsontext.Value
			if v, err = dec.ReadValue(); err == nil {
				switch {
				case d.tss[f.col] != nil:
					d.setTime(f.col, v) // false: stays NULL, the raw JSON keeps it
				case d.bools[f.col] != nil:
					d.setBool(f.col, v)
				default:
					d.setString(f.col, v)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// derivePrincipal fills principal and session_name: one readable name per
// identity, whatever its type, matching the credential report's user names
// (root is "<root_account>" in both).
func (d *decoder) derivePrincipal() {
	typ := d.str(colIdentityType)
	arn := d.str(colIdentityArn)
	var principal, session string
	switch typ {
	case "Root":
		principal = "<root_account>"
	case "IAMUser":
		principal = d.str(colIdentityUserName)
		if principal == "" {
			principal = lastPart(arn, ":user/")
		}
	case "AssumedRole":
		role, sess := assumedRole(arn)
		principal = d.str(colSessionIssuerUserName)
		if principal == "" {
			principal = role
		}
		session = sess
	case "FederatedUser":
		principal = lastPart(arn, ":federated-user/")
		if principal == "" {
			principal = d.str(colSessionIssuerUserName)
		}
	case "AWSService", "":
		principal = d.str(colIdentityInvokedBy)
	case "AWSAccount":
		principal = d.str(colIdentityAccountID)
		if principal == "" {
			principal = d.str(colIdentityPrincipalID)
		}
	default: // IdentityCenterUser, SAMLUser, WebIdentityUser, Unknown, ...
		principal = d.str(colIdentityUserName)
		if principal == "" {
			principal = d.str(colIdentityPrincipalID)
		}
	}
	if principal == "" && typ != "" {
		principal = d.str(colIdentityPrincipalID)
	}
	d.setText(colPrincipal, principal)
	d.setText(colSessionName, session)
}

func (d *decoder) setText(col int, s string) {
	if s == "" {
		return
	}
	start := len(d.arena)
	d.arena = append(d.arena, s...)
	d.row[col] = val{set: true, start: int32(start), end: int32(len(d.arena))}
}

// assumedRole splits "arn:aws:sts::123456789012:assumed-role/Role/session".
func assumedRole(arn string) (role, session string) {
	_, rest, ok := strings.Cut(arn, ":assumed-role/")
	if !ok {
		return "", ""
	}
	role, session, _ = strings.Cut(rest, "/")
	return role, session
}

// lastPart returns what follows marker in an ARN, up to the end:
// "arn:aws:iam::1:user/path/alice" with ":user/" gives "alice".
func lastPart(arn, marker string) string {
	_, rest, ok := strings.Cut(arn, marker)
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		rest = rest[i+1:]
	}
	return rest
}
