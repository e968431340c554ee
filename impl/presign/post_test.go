package presign

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/auth/sigv4"
)

// TestVerifyPostPins: a minted form verifies for its bucket and key, and
// one whose credential or bucket field was changed is refused before the
// credential is looked up (no oracle of which access keys exist).
func TestVerifyPostPins(t *testing.T) {
	lookups := 0
	s := &Signer{Secrets: []string{"s"}, Prefix: "/s3", Now: func() time.Time { return time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC) },
		Keys: func(_ context.Context, ak string) (*credentials.Record, error) {
			lookups++
			if ak != "AK" {
				return nil, credentials.ErrUnknownKey
			}
			return &credentials.Record{AccessKey: "AK", SecretKey: "x", ProjectID: "p"}, nil
		}}
	f := s.SignPost(presignRequest{Bucket: "b", KeyPrefix: "up/"}, "p", "key:AK", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	form := func(credential, bucket string) sigv4.Policy {
		return sigv4.Policy{Algorithm: f["x-amz-algorithm"], Credential: credential, Date: f["x-amz-date"], Policy: f["policy"],
			Signature: f["x-amz-signature"], Bucket: bucket, Key: "up/f"}
	}
	if p, err := s.VerifyPolicy(t.Context(), form(f["x-amz-credential"], "b")); err != nil || p.Project != "p" || p.AccessKey != "AK" {
		t.Fatalf("the minted form: %+v, %v", p, err)
	}
	lookups = 0
	for _, c := range []struct{ cred, bucket string }{{"p/key:OTHER", "b"}, {"q/key:AK", "b"}, {f["x-amz-credential"], "other"}} {
		if _, err := s.VerifyPolicy(t.Context(), form(c.cred, c.bucket)); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Errorf("credential %q, bucket %q: %v, want AccessDenied", c.cred, c.bucket, err)
		}
	}
	if lookups != 0 {
		t.Errorf("%d access-key lookups for forms the policy does not pin", lookups)
	}
}
