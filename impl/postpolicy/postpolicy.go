// Package postpolicy reads and enforces the policy of S3's browser-based
// uploads (POST Object): a base64 JSON document with an expiration and
// conditions, each of which must hold for the form's fields, and which
// together must name every field the form sends (AWS's "Creating a POST
// policy" for SigV4).
package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
)

// Policy is a decoded POST policy.
type Policy struct {
	Expiration time.Time
	Conditions []Condition
}

// Condition is one of the policy's conditions: an exact match ("eq", also
// the {"field": "value"} form), a prefix ("starts-with"), or the body's
// size range ("content-length-range").
type Condition struct {
	Op    string
	Field string // lower case, without "$"
	Value string
	// Min and Max bound the body for content-length-range.
	Min, Max int64
	text     string // as S3 quotes it in a refusal
}

// Limits of the documents a gateway reads.
const maxPolicyBytes = 20 << 10

var errInvalidJSON = &s3err.Error{Code: "InvalidPolicyDocument", Status: 400, Message: "Invalid Policy: Invalid JSON."}

func invalid(why string) error {
	return &s3err.Error{Code: "InvalidPolicyDocument", Status: 400, Message: "Invalid Policy: " + why}
}

// Parse decodes a policy as the form's policy field carries it.
func Parse(b64 string) (*Policy, error) {
	if len(b64) > maxPolicyBytes*4/3+4 {
		return nil, invalid("Policy document too large.")
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, &s3err.Error{Code: "InvalidPolicyDocument", Status: 400, Message: "Invalid Policy: Invalid 'Base64' encoding."}
	}
	var doc struct {
		Expiration *string           `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, errInvalidJSON
	}
	if doc.Expiration == nil {
		return nil, invalid("Policy missing expiration.")
	}
	exp, err := time.Parse(time.RFC3339Nano, *doc.Expiration)
	if err != nil {
		return nil, invalid("Invalid 'expiration' value: '" + *doc.Expiration + "'")
	}
	p := &Policy{Expiration: exp}
	for _, rc := range doc.Conditions {
		c, err := parseCondition(rc)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, c...)
	}
	return p, nil
}

func parseCondition(rc json.RawMessage) ([]Condition, error) {
	rc = bytes.TrimSpace(rc)
	if len(rc) > 0 && rc[0] == '{' {
		// {"field": "value"}: an exact match per member.
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(rc))
		d.UseNumber()
		if err := d.Decode(&m); err != nil || len(m) == 0 {
			return nil, invalid("Invalid simple-condition: value must be a string.")
		}
		var out []Condition
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				return nil, invalid("Invalid simple-condition: value must be a string.")
			}
			out = append(out, Condition{Op: "eq", Field: field(k), Value: s, text: quoteCond("eq", "$"+k, s)})
		}
		return out, nil
	}
	var arr []any
	d := json.NewDecoder(bytes.NewReader(rc))
	d.UseNumber()
	if err := d.Decode(&arr); err != nil || len(arr) == 0 {
		return nil, invalid("Invalid Condition: must be an object or an array.")
	}
	op, _ := arr[0].(string)
	switch strings.ToLower(op) {
	case "eq", "starts-with":
		if len(arr) != 3 {
			return nil, invalid("wrong number of arguments for '" + op + "'.")
		}
		f, ok1 := arr[1].(string)
		v, ok2 := arr[2].(string)
		if !ok1 || !ok2 || !strings.HasPrefix(f, "$") {
			return nil, invalid("Invalid '" + op + "' condition: the field must begin with '$' and the value be a string.")
		}
		return []Condition{{Op: strings.ToLower(op), Field: field(f), Value: v, text: quoteCond(op, f, v)}}, nil
	case "content-length-range":
		if len(arr) != 3 {
			return nil, invalid("wrong number of arguments for 'content-length-range'.")
		}
		lo, ok1 := integer(arr[1])
		hi, ok2 := integer(arr[2])
		if !ok1 || !ok2 || lo < 0 || hi < lo {
			return nil, invalid("Invalid content-length-range: the bounds must be whole numbers, the least first.")
		}
		return []Condition{{Op: "content-length-range", Min: lo, Max: hi}}, nil
	}
	return nil, invalid("Invalid Condition: unknown operation '" + op + "'.")
}

// field is a condition's field name as the form's are compared: lower
// case, without "$".
func field(name string) string { return strings.ToLower(strings.TrimPrefix(name, "$")) }

// integer reads a JSON number or a decimal string (both are seen in
// policies SDKs write) as a whole number.
func integer(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || f > math.MaxInt64 || f < math.MinInt64 {
			return 0, false
		}
		n = int64(f)
	}
	return n, true
}

func quoteCond(op, f, v string) string {
	j, _ := json.Marshal([]string{op, f, v})
	return strings.ReplaceAll(string(j), `","`, `", "`)
}

// exempt are form fields no condition needs to name.
func exempt(name string) bool {
	switch name {
	case "file", "policy", "x-amz-signature":
		return true
	}
	return strings.HasPrefix(name, "x-ignore-")
}

// Check enforces the policy on a form's fields (lower-case names, the
// bucket's under "bucket" added by the caller) at now: its expiration,
// every condition, and that each field sent is named by one. The body's
// size range is LengthRange's.
func (p *Policy) Check(now time.Time, fields map[string]string, sent []string) error {
	if !now.Before(p.Expiration) {
		return s3err.AccessDenied.With("Invalid according to Policy: Policy expired.")
	}
	named := map[string]bool{}
	for _, c := range p.Conditions {
		if c.Op == "content-length-range" {
			continue
		}
		named[c.Field] = true
		// A condition on a field the form lacks fails, even one that any
		// value would meet.
		v, ok := fields[c.Field]
		var holds bool
		switch c.Op {
		case "eq":
			holds = ok && v == c.Value
		case "starts-with":
			holds = ok && strings.HasPrefix(v, c.Value)
		}
		if !holds {
			return s3err.AccessDenied.With("Invalid according to Policy: Policy Condition failed: " + c.text)
		}
	}
	for _, name := range sent {
		if !exempt(name) && !named[name] {
			return s3err.AccessDenied.With("Invalid according to Policy: Extra input fields: " + name)
		}
	}
	return nil
}

// LengthRange is the body's allowed size: what every
// content-length-range condition allows (an empty range when they do not
// overlap, which no body meets); ok is false without one.
func (p *Policy) LengthRange() (lo, hi int64, ok bool) {
	for _, c := range p.Conditions {
		if c.Op != "content-length-range" {
			continue
		}
		if !ok {
			lo, hi, ok = c.Min, c.Max, true
			continue
		}
		lo, hi = max(lo, c.Min), min(hi, c.Max)
	}
	if ok && lo > hi {
		lo, hi = 1, 0
	}
	return lo, hi, ok
}

// Pins reports whether the policy requires field to equal value exactly.
func (p *Policy) Pins(field, value string) bool {
	for _, c := range p.Conditions {
		if c.Op == "eq" && c.Field == strings.ToLower(field) && c.Value == value {
			return true
		}
	}
	return false
}

// String describes the policy for logs.
func (p *Policy) String() string {
	return fmt.Sprintf("policy expiring %s with %d conditions", p.Expiration.Format(time.RFC3339), len(p.Conditions))
}
