package secrets

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// TestDerive pins the derived keys: a change here invalidates the listing
// continuation tokens clients hold across an upgrade.
func TestDerive(t *testing.T) {
	for _, c := range []struct {
		secret, purpose, want string
	}{
		{"dev-presign-secret", ListToken, "29706727935a4b05b6abb4688c4ce024896f9551266774c99af6ac1f4f19bcd4"},
		{"old", ListToken, "75d06c806c2a75260ea8e8ec576e33e649546da79d5cb5973d6e30fd2b230dc8"},
	} {
		if got := hex.EncodeToString(Derive(c.secret, c.purpose)); got != c.want {
			t.Errorf("Derive(%q, %q) = %s, want %s", c.secret, c.purpose, got, c.want)
		}
	}
	if bytes.Equal(Derive("a", ListToken), Derive("b", ListToken)) {
		t.Error("two secrets derive the same key")
	}
	if bytes.Equal(Derive("a", ListToken), Derive("a", ListToken+"x")) {
		t.Error("two purposes derive the same key")
	}
}

func TestDeriveAll(t *testing.T) {
	for _, secrets := range [][]string{nil, {"only"}, {"new", "old", "older"}} {
		keys := DeriveAll(secrets, ListToken)
		if len(keys) != len(secrets) {
			t.Fatalf("%d secrets gave %d keys", len(secrets), len(keys))
		}
		for i, s := range secrets {
			if !bytes.Equal(keys[i], Derive(s, ListToken)) {
				t.Errorf("key %d is not secret %q's", i, s)
			}
		}
	}
}

// TestLabelsAreDistinct: no label begins another, so no derived key is the
// MAC of another use's message under the same secret.
func TestLabelsAreDistinct(t *testing.T) {
	labels := []string{ListToken, PresignURL}
	for i, a := range labels {
		for j, b := range labels {
			if i != j && strings.HasPrefix(b, a) {
				t.Errorf("label %q begins label %q", a, b)
			}
		}
	}
}
