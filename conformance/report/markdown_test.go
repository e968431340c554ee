package report

import (
	"strings"
	"testing"

	"github.com/s3gw/gateway/conformance"
)

// TestMarkdownVerdict checks the sentence under the table and which
// sections appear, for runs the golden file does not cover.
func TestMarkdownVerdict(t *testing.T) {
	pass := conformance.Result{ID: "a/pass", Feature: conformance.Objects, Outcome: conformance.Pass}
	skip := conformance.Result{ID: "a/skip", Feature: conformance.Objects, Outcome: conformance.Skip, Message: "needs [scoped]"}
	fail := conformance.Result{ID: "a/fail", Feature: conformance.Objects, Outcome: conformance.Fail, Message: "boom"}
	other := conformance.Result{ID: "a/other", Feature: conformance.Readyz, Outcome: conformance.NotClaimed}
	for _, tc := range []struct {
		name        string
		results     []conformance.Result
		prefix      string
		want, avoid []string
	}{
		{"all passed", []conformance.Result{pass, other}, "",
			[]string{"Endpoint `http://h:1`,", "Every claimed case passed.\n"}, []string{"## Skipped", "## Failures", "a/other"}},
		{"skips only", []conformance.Result{pass, skip}, "/s3/",
			[]string{"Endpoint `http://h:1/s3`,", "No claimed case failed; 1 skipped (below).", "## Skipped (1)\n\n- `a/skip`: needs [scoped]\n"},
			[]string{"Every claimed case passed", "## Failures"}},
		{"failures and skips", []conformance.Result{fail, skip, pass}, "",
			[]string{"## Failures (1)", "## Skipped (1)"}, []string{"Every claimed case passed", "No claimed case failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := Markdown(&b, &Run{Endpoint: "http://h:1/", PathPrefix: tc.prefix, Results: tc.results}); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want {
				if !strings.Contains(b.String(), s) {
					t.Errorf("missing %q in\n%s", s, b.String())
				}
			}
			for _, s := range tc.avoid {
				if strings.Contains(b.String(), s) {
					t.Errorf("unexpected %q in\n%s", s, b.String())
				}
			}
		})
	}
}
