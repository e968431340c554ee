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
// canonicalisation, say) cannot hide from it; TestNoImplImports enforces
// that.
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
	"time"
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
//
// A feature is either Amazon S3's (its cases assert only what S3 does, with
// evidence) or an extension: behaviour of this gateway that S3 does not
// have or does differently (its own endpoints, tenancy model and design
// choices). A target claims the S3 features unless it lists otherwise, and
// an extension only when it lists it, so no other server is failed for
// lacking one.
type Feature string

// The S3 features.
const (
	Buckets           Feature = "buckets"            // create, head, delete, list buckets, naming rules
	Objects           Feature = "objects"            // put, get, head, delete, copy, metadata, ranges, conditionals, keys
	List              Feature = "list"               // ListObjectsV2, v1 and ListObjectVersions: prefixes, delimiters, pagination, encoding
	Multipart         Feature = "multipart"          // multipart uploads: parts, completion, listing, limits, checksums
	SigV4Header       Feature = "sigv4-header"       // Authorization-header SigV4: skew, scope, signed headers, keys
	SigV4Presign      Feature = "sigv4-presign"      // SigV4 presigned URLs: expiry, tampering, limits
	StreamingPayloads Feature = "streaming-payloads" // aws-chunked bodies, signed and unsigned, with trailers
	Checksums         Feature = "checksums"          // x-amz-checksum-* as headers and trailers, Content-MD5
	CORS              Feature = "cors"               // bucket CORS configurations, preflights and the headers they decide
	PostObject        Feature = "post-object"        // browser uploads: POST Object with a SigV4-signed policy
)

// The extension features: this gateway's own behaviour.
const (
	Tenancy             Feature = "tenancy"               // credential scopes and per-project bucket ownership
	Macaroon            Feature = "macaroon"              // bearer tokens verified by the control plane
	GatewayPresign      Feature = "gateway-presign"       // POST /v1/presign and the URLs it mints
	Usage               Feature = "usage"                 // usage events reaching the control plane
	Readyz              Feature = "readyz"                // the gateway's /healthz, /readyz and /metrics endpoints
	TamperEvidentTokens Feature = "tamper-evident-tokens" // listing continuation tokens are authenticated: altered or forged ones are refused
	SingleRegion        Feature = "single-region"         // buckets are only made in the target's region, even where S3 would place them elsewhere
)

// S3Features lists Amazon S3's features in report order: what a target
// without a features line claims.
var S3Features = []Feature{Buckets, Objects, List, Multipart, SigV4Header, SigV4Presign, StreamingPayloads, Checksums, CORS, PostObject}

// ExtensionFeatures lists this gateway's extensions in report order; a
// target claims each only by naming it.
var ExtensionFeatures = []Feature{Tenancy, Macaroon, GatewayPresign, Usage, Readyz, TamperEvidentTokens, SingleRegion}

// AllFeatures lists every feature in report order, S3's first.
var AllFeatures = slices.Concat(S3Features, ExtensionFeatures)

// FeatureS3 names every S3 feature at once in a target's features list.
const FeatureS3 Feature = "s3"

// featureDocs says in a line what each feature's cases check.
var featureDocs = map[Feature]string{
	Buckets:             "CreateBucket (naming, location, already owned), HeadBucket, DeleteBucket, ListBuckets, GetBucketLocation; request ids and error documents",
	Objects:             "PutObject, GetObject, HeadObject, DeleteObject(s), CopyObject: ETags, metadata, Content-MD5, conditionals, ranges, keys, size limits",
	List:                "ListObjectsV2 and v1: prefix, delimiter, max-keys, start-after, continuation tokens, encoding-type=url, fetch-owner, pagination; ListObjectVersions",
	Multipart:           "the multipart lifecycle, S3's limits and errors, ETags, part reads, UploadPartCopy, ListParts and ListMultipartUploads, checksums",
	SigV4Header:         "Authorization-header SigV4: clock skew, credential scope, signed headers, payload hashes, unknown keys, wrong secrets",
	SigV4Presign:        "SigV4 presigned URLs: expiry, tampering, methods, future dates, an Authorization header as well",
	StreamingPayloads:   "aws-chunked bodies, signed and unsigned, with trailers: decoding, signatures, truncation, chunk sizes, framing",
	Checksums:           "the ten algorithms (CRC32, CRC32C, CRC64NVME, SHA1, SHA256, SHA512, MD5, XXHASH64, XXHASH3, XXHASH128) as headers and trailers: validation, storage, x-amz-checksum-mode, the default CRC64NVME, copies",
	PostObject:          "POST Object with a SigV4 policy (the SDKs' presigned POST): conditions, expiry, size range, ${filename}, success_action_status and redirect, S3's refusals",
	CORS:                "PutBucketCors, GetBucketCors, DeleteBucketCors (S3's XML, limits, errors); unsigned preflights and the Access-Control-* headers of matched requests",
	Tenancy:             "credential scopes (bucket, prefix, operations) and per-project bucket ownership; needs the scoped, read-only and other-project credentials",
	Macaroon:            "bearer tokens minted and verified by a control plane: caveats, expiry, tampering, attenuation; needs control_plane_url",
	GatewayPresign:      "POST /v1/presign and the URLs it mints",
	Usage:               "usage totals at the control plane match the bytes moved; needs control_plane_url",
	Readyz:              "/healthz, /readyz and /metrics; the token, key and usage metrics need control_plane_url",
	TamperEvidentTokens: "an altered ListObjectsV2 token, or a ListBuckets token never issued, is refused with 400 InvalidArgument (S3 documents its tokens only as opaque)",
	SingleRegion:        "CreateBucket naming another region is refused even at us-east-1, where S3 would create the bucket in that region",
}

// Extension reports whether f is this gateway's extension rather than an
// Amazon S3 feature.
func (f Feature) Extension() bool { return slices.Contains(ExtensionFeatures, f) }

// Doc says in a line what the feature's cases check.
func (f Feature) Doc() string { return featureDocs[f] }

// Kind is "s3" or "extension".
func (f Feature) Kind() string {
	if f.Extension() {
		return "extension"
	}
	return "s3"
}

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
	// Run checks the behaviour. It is a top-level function named after the
	// ID in camelCase, its slashes, hyphens and dots dropped: the case
	// "multipart/lifecycle/roundtrip" runs multipartLifecycleRoundtrip. A
	// case made in a loop over a table runs what a named function returns
	// (multipartCreateChecksum(alg, typ)), named after the IDs' common part.
	// So a stack trace names the case, and the ID finds the code.
	// TestCaseFunctionsAreNamed enforces the rule.
	Run func(t T, e *Env)
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
				t.Skipf("not claimed: target %q does not claim %s feature %q", target.Name, c.Feature.Kind(), c.Feature)
			}
			t.Parallel()
			if reason, ok := target.KnownDeviations[c.ID]; ok {
				var r Result
				runOne(t.Context(), target, c, 5*time.Minute, &r)
				judgeDeviation(reason, &r)
				if r.Outcome == Fail {
					t.Fatal(r.Message)
				}
				t.Skip(r.Message)
			}
			c.Run(t, NewEnv(t, target))
		})
	}
}

// needClaim skips a case that also exercises feature f when the target does
// not claim f: a case of one extension that leans on another (a usage case
// minting a gateway presigned URL, say) says so instead of failing.
func needClaim(t T, e *Env, f Feature) {
	t.Helper()
	if !e.Target.Claims(f) {
		t.Skipf("the case also exercises the %s feature %q, which the target does not claim", f.Kind(), f)
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
