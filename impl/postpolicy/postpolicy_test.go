package postpolicy

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/s3err"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func errText(err error) string {
	var e *s3err.Error
	if errors.As(err, &e) {
		return e.Code + ": " + e.Message
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseRefuses(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"%%%", "InvalidPolicyDocument: Invalid Policy: Invalid 'Base64' encoding."},
		{b64("not json"), "InvalidPolicyDocument: Invalid Policy: Invalid JSON."},
		{b64(`{"conditions":[]}`), "InvalidPolicyDocument: Invalid Policy: Policy missing expiration."},
		{b64(`{"expiration":"soon","conditions":[]}`), "InvalidPolicyDocument: Invalid Policy: Invalid 'expiration' value: 'soon'"},
		{b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["nope","$key","a"]]}`), "InvalidPolicyDocument"},
		{b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","key","a"]]}`), "InvalidPolicyDocument"},
		{b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",10,1]]}`), "InvalidPolicyDocument"},
		{b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",1.5,10]]}`), "InvalidPolicyDocument"},
		{b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[{"key":1}]}`), "InvalidPolicyDocument"},
	} {
		_, err := Parse(c.doc)
		if got := errText(err); !strings.HasPrefix(got, c.want) {
			t.Errorf("Parse(%q) = %q, want %q", c.doc, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	p, err := Parse(b64(`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[
		{"bucket":"b"}, ["starts-with","$key","uploads/"], ["eq","$Content-Type","text/plain"],
		{"x-amz-algorithm":"AWS4-HMAC-SHA256"}, ["starts-with","$x-amz-meta-note",""],
		["content-length-range","1","10"]]}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	fields := func(extra ...string) map[string]string {
		m := map[string]string{"bucket": "b", "key": "uploads/a", "content-type": "text/plain", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-meta-note": "hi"}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "-" {
				delete(m, extra[i])
			} else {
				m[extra[i]] = extra[i+1]
			}
		}
		return m
	}
	sent := []string{"key", "content-type", "x-amz-algorithm", "x-amz-meta-note", "policy", "x-amz-signature", "x-ignore-me"}
	for _, c := range []struct {
		name   string
		now    time.Time
		fields map[string]string
		sent   []string
		want   string
	}{
		{"all hold", now, fields(), sent, ""},
		{"expired", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), fields(), sent, "AccessDenied: Invalid according to Policy: Policy expired."},
		{"key outside the prefix", now, fields("key", "other/a"), sent, `AccessDenied: Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]`},
		{"another bucket", now, fields("bucket", "c"), sent, `AccessDenied: Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "b"]`},
		{"eq is exact", now, fields("content-type", "text/plain; charset=utf-8"), sent, `AccessDenied: Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "text/plain"]`},
		{"a field missing fails even an empty prefix", now, fields("x-amz-meta-note", "-"), sent, `AccessDenied: Invalid according to Policy: Policy Condition failed: ["starts-with", "$x-amz-meta-note", ""]`},
		{"a field no condition names", now, fields("acl", "public-read"), append(sent, "acl"), "AccessDenied: Invalid according to Policy: Extra input fields: acl"},
	} {
		if got := errText(p.Check(c.now, c.fields, c.sent)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if lo, hi, ok := p.LengthRange(); !ok || lo != 1 || hi != 10 {
		t.Errorf("LengthRange = %d, %d, %v", lo, hi, ok)
	}
}

// FuzzParse: no policy panics Parse or Check.
func FuzzParse(f *testing.F) {
	f.Add(`{"expiration":"2030-01-01T00:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key",""],["content-length-range",0,5]]}`)
	f.Add(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$key","a"],{"a":"b","c":"d"}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(b64(doc))
		if err != nil {
			return
		}
		_ = p.Check(time.Now(), map[string]string{"key": "a", "bucket": "b"}, []string{"key"})
		p.LengthRange()
	})
}

func TestLengthRangeAndPins(t *testing.T) {
	p, err := Parse(b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",1,100],["content-length-range",10,1000],{"x-amz-credential":"c"},["starts-with","$key","a"]]}`))
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi, ok := p.LengthRange(); !ok || lo != 10 || hi != 100 {
		t.Errorf("LengthRange = %d, %d, %v; want the intersection 10..100", lo, hi, ok)
	}
	if !p.Pins("X-Amz-Credential", "c") || p.Pins("x-amz-credential", "d") || p.Pins("key", "a") {
		t.Errorf("Pins: an eq condition pins its field to its value, nothing else")
	}
	disjoint, _ := Parse(b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",1,5],["content-length-range",10,20]]}`))
	if lo, hi, _ := disjoint.LengthRange(); lo <= hi {
		t.Errorf("disjoint ranges allow %d..%d", lo, hi)
	}
}
