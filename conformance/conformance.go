// Package conformance is an executable specification of an S3-compatible
// gateway: a registry of cases, each checking one behaviour of Amazon S3 (or
// of the gateway's documented extensions) against any endpoint.
//
// Like testing/fstest.TestFS, one call runs the whole battery:
//
//	func TestMyGateway(t *testing.T) {
//		conformance.Run(t, &conformance.Target{Endpoint: "http://127.0.0.1:9000", ...})
//	}
//
// Cases drive the target two ways: through the real AWS SDK for Go v2 (what
// users run) and through raw HTTP requests (httpexpect), signed with the SDK's
// SigV4 signer, for the edges an SDK hides. The package never imports the
// gateway's own code, so a bug the gateway shares with itself (in SigV4
// canonicalisation, say) cannot hide from it.
package conformance

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// T is what a case needs from its test: the subset of *testing.T that a
// runner outside `go test` can also provide.
type T interface {
	Helper()
	Name() string
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	FailNow()
	Failed() bool
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
	Context() context.Context
}

// Feature groups cases by what a target claims to implement.
type Feature string

// The features. A target lists the ones it claims; cases of the others are
// reported as not claimed, never as passed.
const (
	Buckets           Feature = "buckets"            // create, head, delete, list buckets, naming rules
	Objects           Feature = "objects"            // put, get, head, delete, copy, metadata, ranges, conditionals, keys
	List              Feature = "list"               // ListObjectsV2 and v1: prefixes, delimiters, pagination, encoding
	Multipart         Feature = "multipart"          // multipart uploads: parts, completion, listing, limits, checksums
	SigV4Header       Feature = "sigv4-header"       // Authorization-header SigV4: skew, scope, signed headers, keys
	SigV4Presign      Feature = "sigv4-presign"      // SigV4 presigned URLs: expiry, tampering, limits
	StreamingPayloads Feature = "streaming-payloads" // aws-chunked bodies, signed and unsigned, with trailers
	Checksums         Feature = "checksums"          // x-amz-checksum-* as headers and trailers, Content-MD5
	Tenancy           Feature = "tenancy"            // credential scopes and per-project bucket ownership
	Macaroon          Feature = "macaroon"           // bearer tokens verified by the control plane
	GatewayPresign    Feature = "gateway-presign"    // POST /v1/presign and the URLs it mints
	Usage             Feature = "usage"              // usage events reaching the control plane
	Readyz            Feature = "readyz"             // the gateway's /healthz and /readyz endpoints
)

// AllFeatures lists every feature in report order.
var AllFeatures = []Feature{Buckets, Objects, List, Multipart, SigV4Header, SigV4Presign, StreamingPayloads, Checksums, Tenancy, Macaroon, GatewayPresign, Usage, Readyz}

// FeaturesWithout lists every feature but the given ones.
func FeaturesWithout(drop ...Feature) []Feature {
	var out []Feature
	for _, f := range AllFeatures {
		if !slices.Contains(drop, f) {
			out = append(out, f)
		}
	}
	return out
}

// Case is one checked behaviour.
type Case struct {
	// ID is stable and path-like: "list/v2/pagination/exact-multiple".
	ID      string
	Feature Feature
	// Ops are the S3 operations the case exercises.
	Ops []string
	// Desc says in one line what must hold.
	Desc string
	Run  func(t T, e *Env)
}

var (
	regMu    sync.Mutex
	registry = map[string]Case{}
)

// register adds cases to the suite; IDs must be unique.
func register(cases ...Case) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, c := range cases {
		if _, dup := registry[c.ID]; dup {
			panic("conformance: duplicate case ID " + c.ID)
		}
		if c.Feature == "" || c.Run == nil || c.Desc == "" || len(c.Ops) == 0 {
			panic("conformance: incomplete case " + c.ID)
		}
		registry[c.ID] = c
	}
}

// Cases returns every registered case, sorted by ID.
func Cases() []Case {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]Case, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Select returns the cases whose ID matches re (nil for all) and whose
// feature is among features (empty for all).
func Select(re *regexp.Regexp, features []Feature) []Case {
	var out []Case
	for _, c := range Cases() {
		if re != nil && !re.MatchString(c.ID) {
			continue
		}
		if len(features) > 0 && !slices.Contains(features, c.Feature) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Run runs every case against target as parallel subtests named by case ID.
// Cases of features the target does not claim are skipped with that reason.
func Run(t *testing.T, target *Target) {
	t.Helper()
	if err := target.validate(); err != nil {
		t.Fatalf("conformance: bad target: %v", err)
	}
	for _, c := range Cases() {
		t.Run(c.ID, func(t *testing.T) {
			if !target.Claims(c.Feature) {
				t.Skipf("not claimed: target %q does not claim feature %q", target.Name, c.Feature)
			}
			t.Parallel()
			c.Run(t, NewEnv(t, target))
		})
	}
}

// ops is shorthand for a case's operation list.
func ops(names ...string) []string { return names }

// mustf fails the case when err is not nil.
func mustf(t T, err error, format string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
	}
}

// eq fails the case unless got equals want.
func eq[V comparable](t T, what string, got, want V) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, quoteIfString(got), quoteIfString(want))
	}
}

func quoteIfString(v any) any {
	if s, ok := v.(string); ok {
		if len(s) > 200 {
			return fmt.Sprintf("%q… (%d bytes)", s[:200], len(s))
		}
		return fmt.Sprintf("%q", s)
	}
	return v
}

// slug makes a readable ID segment.
func slug(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "-", "/", "-").Replace(s))
}
