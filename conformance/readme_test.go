package conformance

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestREADMECaseCounts: the README's case counts (the total, S3's and the
// extensions', and each feature's in the Features table) are the suite's,
// counted by feature as `s3conform run --features NAME` selects them.
func TestREADMECaseCounts(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	count := map[Feature]int{}
	s3, ext := 0, 0
	for _, c := range Cases() {
		count[c.Feature]++
		if c.Feature.Extension() {
			ext++
		} else {
			s3++
		}
	}
	want := fmt.Sprintf("%d cases: %d of Amazon S3's\nbehaviour, %d of this gateway's extensions", s3+ext, s3, ext)
	if !regexp.MustCompile(regexp.QuoteMeta(want)).Match(readme) {
		t.Errorf("README does not say %q", want)
	}
	seen := map[Feature]bool{}
	for _, m := range regexp.MustCompile("`([a-z0-9-]+)` \\((\\d+)\\)").FindAllSubmatch(readme, -1) {
		f := Feature(m[1])
		if _, known := count[f]; !known {
			continue
		}
		n, _ := strconv.Atoi(string(m[2]))
		if n != count[f] {
			t.Errorf("README counts %d cases of %s; the suite has %d", n, f, count[f])
		}
		seen[f] = true
	}
	for _, f := range AllFeatures {
		if !seen[f] {
			t.Errorf("README's Features table does not count %s's cases (%d)", f, count[f])
		}
	}
}
