package conformance

import (
	"os"
	"slices"
	"testing"

	"github.com/s3gw/gateway/conformance/internal/targetdoc"
)

// TestTargetKeysDocumented fails when docs/conformance.md's table of target
// keys differs from what the Target struct says, so the two cannot drift:
// run `go generate ./conformance` after changing a key.
func TestTargetKeysDocumented(t *testing.T) {
	rows, err := targetdoc.Rows(".")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := targetdoc.Section(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want := targetdoc.Table(rows); got != want {
		t.Errorf("docs/conformance.md's target keys are out of date: run `go generate ./conformance`\ngot:\n%s\nwant:\n%s", got, want)
	}

	// The generator reads the source; the decoder goes by reflection.
	// Both must see the same keys.
	var documented []string
	for _, r := range rows {
		documented = append(documented, r.Key)
		for _, f := range r.Features {
			if !slices.Contains(AllFeatures, Feature(f)) {
				t.Errorf("key %s: features tag names %q, which is no feature", r.Key, f)
			}
		}
	}
	known := targetFileKeys()
	for table, keys := range known {
		for _, k := range keys {
			full := k
			if table != "" {
				full = table + "." + k
			}
			if table == "" && (k == "container" || k == "command") {
				continue // their keys have rows of their own
			}
			if !slices.Contains(documented, full) && !isCredentialKey(table, known) {
				t.Errorf("target key %s is not documented", full)
			}
		}
	}
}

// isCredentialKey reports whether table is a credentials table, whose two
// keys the row of the table itself documents.
func isCredentialKey(table string, known map[string][]string) bool {
	return slices.Equal(known[table], []string{"access_key", "secret_key"})
}
