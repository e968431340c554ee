// Package tenancytest checks a tenancy.Registry against the semantics
// package tenancy documents, in the manner of testing/fstest.TestFS. The
// gateway's ownership decisions (tenancy.Buckets, the API layer's checks
// and ListBuckets) rely on them: a name has at most one owner, claiming is
// atomic, a refused claim names the existing one, releasing is the owner's
// alone, and listings are in name order with Prefix, After and Limit.
package tenancytest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/tenancy"
)

// TestRegistry runs the subtests against registries made by newRegistry,
// a fresh empty one per subtest; newRegistry registers any cleanup with
// t.Cleanup.
func TestRegistry(t *testing.T, newRegistry func(t *testing.T) tenancy.Registry) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, r tenancy.Registry)
	}{
		{"Claim", testClaim},
		{"Release", testRelease},
		{"AnonymousOwner", testAnonymous},
		{"List", testList},
		{"ListPaging", testListPaging},
		{"ConcurrentClaims", testConcurrentClaims},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newRegistry(t))
		})
	}
}

// sameClaim compares claims with their creation times to the second, the
// resolution at which ListBuckets answers them.
func sameClaim(a, b tenancy.Claim) bool {
	return a.Bucket == b.Bucket && a.Owner == b.Owner && !a.Created.IsZero() &&
		a.Created.Truncate(time.Second).Equal(b.Created.Truncate(time.Second))
}

func mustClaim(t *testing.T, r tenancy.Registry, bucket, project string) tenancy.Claim {
	t.Helper()
	c, err := r.Claim(t.Context(), bucket, project)
	if err != nil {
		t.Fatalf("Claim(%q, %q): %v", bucket, project, err)
	}
	return c
}

// owned checks that bucket is claimed as want, or unclaimed when want is
// the zero claim.
func owned(t *testing.T, r tenancy.Registry, bucket string, want tenancy.Claim) {
	t.Helper()
	got, err := r.Owner(t.Context(), bucket)
	if want == (tenancy.Claim{}) {
		if !errors.Is(err, tenancy.ErrUnclaimed) {
			t.Errorf("Owner(%q) = %+v, %v; want ErrUnclaimed", bucket, got, err)
		}
		return
	}
	if err != nil || !sameClaim(got, want) {
		t.Errorf("Owner(%q) = %+v, %v; want %+v", bucket, got, err, want)
	}
}

func testClaim(t *testing.T, r tenancy.Registry) {
	ctx := t.Context()
	owned(t, r, "b", tenancy.Claim{})
	before := time.Now()
	c := mustClaim(t, r, "b", "p1")
	if c.Bucket != "b" || c.Owner != "p1" {
		t.Errorf("Claim = %+v", c)
	}
	if d := c.Created.Sub(before); d < -time.Second || d > time.Minute {
		t.Errorf("Created %v, claimed at %v", c.Created, before)
	}
	owned(t, r, "b", c)
	for _, again := range []struct {
		project string
		want    error
	}{{"p1", tenancy.ErrOwnedByYou}, {"p2", tenancy.ErrTaken}} {
		got, err := r.Claim(ctx, "b", again.project)
		if !errors.Is(err, again.want) || !sameClaim(got, c) {
			t.Errorf("Claim by %s of a name p1 holds = %+v, %v; want %v with the existing claim %+v", again.project, got, err, again.want, c)
		}
	}
	owned(t, r, "b", c)
	owned(t, r, "other", tenancy.Claim{})
}

func testRelease(t *testing.T, r tenancy.Registry) {
	ctx := t.Context()
	c := mustClaim(t, r, "b", "p1")
	if err := r.Release(ctx, "b", "p2"); !errors.Is(err, tenancy.ErrNotOwner) {
		t.Errorf("Release by another project: %v, want ErrNotOwner", err)
	}
	owned(t, r, "b", c)
	if err := r.Release(ctx, "b", "p1"); err != nil {
		t.Fatalf("Release by the owner: %v", err)
	}
	owned(t, r, "b", tenancy.Claim{})
	for _, name := range []string{"b", "never"} {
		if err := r.Release(ctx, name, "p1"); err != nil {
			t.Errorf("Release of an unclaimed %q: %v, want nil", name, err)
		}
	}
	c2 := mustClaim(t, r, "b", "p2")
	owned(t, r, "b", c2)
}

// testAnonymous: "" is a project like any other (the anonymous
// development principal).
func testAnonymous(t *testing.T, r tenancy.Registry) {
	ctx := t.Context()
	c := mustClaim(t, r, "anon", "")
	if c.Owner != "" {
		t.Errorf("Claim by \"\" = %+v", c)
	}
	owned(t, r, "anon", c)
	if _, err := r.Claim(ctx, "anon", ""); !errors.Is(err, tenancy.ErrOwnedByYou) {
		t.Errorf("Claim by \"\" again: %v, want ErrOwnedByYou", err)
	}
	if _, err := r.Claim(ctx, "anon", "p1"); !errors.Is(err, tenancy.ErrTaken) {
		t.Errorf("Claim by p1: %v, want ErrTaken", err)
	}
	if err := r.Release(ctx, "anon", "p1"); !errors.Is(err, tenancy.ErrNotOwner) {
		t.Errorf("Release by p1: %v, want ErrNotOwner", err)
	}
	if err := r.Release(ctx, "anon", ""); err != nil {
		t.Errorf("Release by \"\": %v", err)
	}
	owned(t, r, "anon", tenancy.Claim{})
}

// listClaims are claimed by listed projects, interleaved in name order.
var listClaims = []struct{ bucket, project string }{
	{"a1", "p1"}, {"a2", "p1"}, {"a3", "p2"}, {"b1", "p1"}, {"b2", "p2"}, {"c1", "p1"}, {"z", ""},
}

func claimAll(t *testing.T, r tenancy.Registry) map[string]tenancy.Claim {
	t.Helper()
	out := map[string]tenancy.Claim{}
	for _, c := range listClaims {
		out[c.bucket] = mustClaim(t, r, c.bucket, c.project)
	}
	return out
}

func names(cs []tenancy.Claim) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Bucket
	}
	return out
}

func testList(t *testing.T, r tenancy.Registry) {
	claims := claimAll(t, r)
	type lo = tenancy.ListOptions
	for _, c := range []struct {
		project string
		opts    lo
		want    []string
		more    bool
	}{
		{"p1", lo{}, []string{"a1", "a2", "b1", "c1"}, false},
		{"p2", lo{}, []string{"a3", "b2"}, false},
		{"", lo{}, []string{"a1", "a2", "a3", "b1", "b2", "c1", "z"}, false},
		{"p3", lo{}, nil, false},
		{"p1", lo{Prefix: "a"}, []string{"a1", "a2"}, false},
		{"p1", lo{Prefix: "b1"}, []string{"b1"}, false},
		{"p1", lo{After: "a2"}, []string{"b1", "c1"}, false},
		{"p1", lo{After: "a"}, []string{"a1", "a2", "b1", "c1"}, false},
		{"p1", lo{After: "c1"}, nil, false},
		{"p1", lo{Prefix: "b", After: "a9"}, []string{"b1"}, false},
		{"p1", lo{Prefix: "b", After: "b1"}, nil, false},
		{"p1", lo{Prefix: "a", After: "b"}, nil, false},
		{"p1", lo{Limit: 2}, []string{"a1", "a2"}, true},
		{"p1", lo{Limit: 4}, []string{"a1", "a2", "b1", "c1"}, false},
		{"p2", lo{Limit: 2}, []string{"a3", "b2"}, false}, // others' claims follow, none of p2's
		{"", lo{Limit: 6}, []string{"a1", "a2", "a3", "b1", "b2", "c1"}, true},
		{"", lo{Prefix: "a", After: "a1", Limit: 1}, []string{"a2"}, true},
	} {
		got, more, err := r.List(t.Context(), c.project, c.opts)
		if err != nil {
			t.Fatalf("List(%q, %+v): %v", c.project, c.opts, err)
		}
		if !slices.Equal(names(got), c.want) || more != c.more {
			t.Errorf("List(%q, %+v) = %q, more %v; want %q, more %v", c.project, c.opts, names(got), more, c.want, c.more)
		}
		for _, g := range got {
			if !sameClaim(g, claims[g.Bucket]) {
				t.Errorf("listed %+v, claimed %+v", g, claims[g.Bucket])
			}
		}
	}
}

// testListPaging: paging with After set to the last name visits each claim
// once for every page size.
func testListPaging(t *testing.T, r tenancy.Registry) {
	claimAll(t, r)
	for _, project := range []string{"", "p1", "p2"} {
		all, _, err := r.List(t.Context(), project, tenancy.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := names(all)
		for limit := 1; limit <= len(want)+1; limit++ {
			var got []string
			opts := tenancy.ListOptions{Limit: limit}
			for pages := 0; ; pages++ {
				if pages > len(want) {
					t.Fatalf("project %q limit %d: paging does not end", project, limit)
				}
				page, more, err := r.List(t.Context(), project, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > limit || (more && len(page) == 0) {
					t.Fatalf("project %q limit %d: page %q, more %v", project, limit, names(page), more)
				}
				got = append(got, names(page)...)
				if !more {
					break
				}
				opts.After = page[len(page)-1].Bucket
			}
			if !slices.Equal(got, want) {
				t.Errorf("project %q limit %d: %q, want %q", project, limit, got, want)
			}
		}
	}
}

// testConcurrentClaims: of concurrent claims on one name, exactly one wins,
// and every loser is told who did.
func testConcurrentClaims(t *testing.T, r tenancy.Registry) {
	const n = 8
	for _, same := range []bool{false, true} {
		name := fmt.Sprintf("race-%v", same)
		claims := make([]tenancy.Claim, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			project := fmt.Sprintf("p%d", i)
			if same {
				project = "p"
			}
			wg.Go(func() { claims[i], errs[i] = r.Claim(t.Context(), name, project) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("%s: claims %d and %d both won", name, winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no claim won: %v", name, errs)
		}
		lost := tenancy.ErrTaken
		if same {
			lost = tenancy.ErrOwnedByYou
		}
		for i, err := range errs {
			if i == winner {
				continue
			}
			if !errors.Is(err, lost) || !sameClaim(claims[i], claims[winner]) {
				t.Errorf("%s: losing claim %d = %+v, %v; want %v naming %+v", name, i, claims[i], err, lost, claims[winner])
			}
		}
		owned(t, r, name, claims[winner])
	}
}
