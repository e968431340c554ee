package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/s3err"
)

// A scope denial reaches the client as S3's bare AccessDenied and says, for
// the log, which part of the request is outside which part of the scope.
func TestAuthorizeSaysWhatWasDenied(t *testing.T) {
	scoped := &Principal{Project: "p", AccessKey: "AKSCOPED", Bucket: "b1", Prefix: "pub/", Actions: []Action{Get, List}, Method: "sigv4"}
	token := &Principal{Project: "p", TokenID: "tok123", Bucket: "b1", Method: "token"}
	cases := []struct {
		name   string
		p      *Principal
		action Action
		bucket string
		key    string
		want   []string // fragments of the reason; nil: allowed
	}{
		{"allowed", scoped, Get, "b1", "pub/a", nil},
		{"allowed listing", scoped, List, "b1", "pub/", nil},
		{"operation", scoped, Put, "b1", "pub/a", []string{"access key AKSCOPED", "operation put", "[get list]"}},
		{"bucket", scoped, Get, "b2", "pub/a", []string{`bucket "b2"`, `credential's bucket "b1"`}},
		{"key", scoped, Get, "b1", "priv/a", []string{`key "priv/a"`, `prefix "pub/"`}},
		{"listing prefix", scoped, List, "b1", "priv/", []string{`listing prefix "priv/"`, `prefix "pub/"`}},
		{"bucket-wide", &Principal{AccessKey: "AK", Prefix: "pub/"}, Delete, "b1", "", []string{"bucket-wide delete", `prefix "pub/"`}},
		{"token", token, Get, "b2", "k", []string{"token tok123", `bucket "b2"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Authorize(c.action, c.bucket, c.key)
			if allowed := c.p.Allows(c.action, c.bucket, c.key); allowed != (err == nil) {
				t.Fatalf("Allows = %v but Authorize = %v", allowed, err)
			}
			if c.want == nil {
				if err != nil {
					t.Fatalf("denied: %v", err)
				}
				return
			}
			var d *Denial
			if !errors.As(err, &d) {
				t.Fatalf("Authorize = %v, want a *Denial", err)
			}
			if e, ok := s3err.As(err); !ok || e != s3err.AccessDenied {
				t.Fatalf("the client would see %v, want S3's bare AccessDenied", e)
			}
			for _, w := range c.want {
				if !strings.Contains(d.Reason, w) {
					t.Errorf("reason %q does not say %q", d.Reason, w)
				}
			}
		})
	}
}
