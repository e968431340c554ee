package report

import (
	"strings"
	"testing"

	"github.com/s3gw/gateway/conformance"
)

const (
	pass   = conformance.Pass
	fail   = conformance.Fail
	skip   = conformance.Skip
	nc     = conformance.NotClaimed
	absent = conformance.Outcome("")
)

// TestClassify covers every move between the four outcomes and absence.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		from, to conformance.Outcome
		want     Kind
	}{
		{pass, pass, ""}, {fail, fail, ""}, {skip, skip, ""}, {nc, nc, ""},

		{pass, fail, Regressed},
		{skip, fail, Regressed},   // a skip hid nothing; it fails now
		{nc, fail, Regressed},     // newly claimed, and failing
		{absent, fail, Regressed}, // a new or renamed case must not fail unseen

		{fail, pass, Fixed},

		{absent, pass, Appeared}, {absent, skip, Appeared}, {absent, nc, Appeared},
		{pass, absent, Vanished}, {fail, absent, Vanished}, {skip, absent, Vanished}, {nc, absent, Vanished},

		{pass, skip, Changed}, // no longer judges the target: reported, not a failure
		{pass, nc, Changed},
		{fail, skip, Changed}, // listed as a known deviation
		{fail, nc, Changed},
		{skip, pass, Changed},
		{nc, pass, Changed},
		{skip, nc, Changed}, {nc, skip, Changed},
	} {
		if got := classify(tc.from, tc.to); got != tc.want {
			t.Errorf("%q -> %q: got %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

func results(pairs ...string) []conformance.Result {
	var out []conformance.Result
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, conformance.Result{ID: pairs[i], Outcome: conformance.Outcome(pairs[i+1]), Message: "msg of " + pairs[i]})
	}
	return out
}

// TestCompare checks matching by ID, the counts and the order of changes.
func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name          string
		old, new      []conformance.Result
		want          []string // "kind id" in order
		unchanged     int
		oldF, newF    int
		regressed     bool
		summaryPrefix string
	}{
		{
			name: "identical", old: results("a", "pass", "b", "fail"), new: results("b", "fail", "a", "pass"),
			unchanged: 2, oldF: 1, newF: 1,
			summaryPrefix: "0 regressed, 0 fixed, 0 appeared, 0 vanished, 0 changed, 2 unchanged; failures 1 -> 1",
		},
		{
			name:      "every kind",
			old:       results("a", "pass", "b", "fail", "c", "pass", "d", "skip", "e", "pass", "gone", "fail", "same", "skip"),
			new:       results("same", "skip", "new-ok", "pass", "new-bad", "fail", "e", "skip", "d", "fail", "c", "fail", "b", "pass", "a", "pass"),
			want:      []string{"regressed c", "regressed d", "regressed new-bad", "fixed b", "appeared new-ok", "vanished gone", "changed e"},
			unchanged: 2, oldF: 2, newF: 3, regressed: true,
			summaryPrefix: "3 regressed, 1 fixed, 1 appeared, 1 vanished, 1 changed, 2 unchanged; failures 2 -> 3",
		},
		{
			name: "only improvements", old: results("a", "fail", "b", "pass"), new: results("a", "pass", "b", "skip", "c", "pass"),
			want: []string{"fixed a", "appeared c", "changed b"}, oldF: 1,
		},
		{
			name: "empty new run", old: results("a", "fail"), new: nil,
			want: []string{"vanished a"}, oldF: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Compare(&Run{Results: tc.old}, &Run{Results: tc.new})
			var got []string
			for _, c := range d.Changes {
				got = append(got, string(c.Kind)+" "+c.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("changes %q, want %q", got, tc.want)
			}
			if d.Unchanged != tc.unchanged || d.OldFailed != tc.oldF || d.NewFailed != tc.newF {
				t.Errorf("unchanged %d, failures %d -> %d; want %d, %d -> %d", d.Unchanged, d.OldFailed, d.NewFailed, tc.unchanged, tc.oldF, tc.newF)
			}
			if d.Regressed() != tc.regressed {
				t.Errorf("Regressed() = %v, want %v", d.Regressed(), tc.regressed)
			}
			if tc.summaryPrefix != "" && d.Summary() != tc.summaryPrefix {
				t.Errorf("summary %q, want %q", d.Summary(), tc.summaryPrefix)
			}
		})
	}
}

// TestDiffWrite checks the printed form: a heading per kind present, the
// move and the message's first line per case, the summary last.
func TestDiffWrite(t *testing.T) {
	old := []conformance.Result{{ID: "x/one", Outcome: pass}, {ID: "x/two", Outcome: pass}}
	cur := []conformance.Result{
		{ID: "x/one", Outcome: fail, Message: "status: got 500, want 200\nmore detail"},
		{ID: "x/two", Outcome: skip, Message: "known deviation of this target: slow disks"},
		{ID: "x/three", Outcome: fail, Message: "boom"},
	}
	var b strings.Builder
	if err := Compare(&Run{Results: old}, &Run{Results: cur}).Write(&b); err != nil {
		t.Fatal(err)
	}
	want := "regressed (2):\n" +
		"  x/one    pass -> fail      status: got 500, want 200\n" +
		"  x/three  (absent) -> fail  boom\n" +
		"changed (1):\n" +
		"  x/two    pass -> skip      known deviation of this target: slow disks\n" +
		"s3conform diff: 2 regressed, 0 fixed, 0 appeared, 0 vanished, 1 changed, 0 unchanged; failures 0 -> 2\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestReadJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in, wantErr string
		cases             int
	}{
		{"a report", `{"target":"t","results":[{"id":"a","outcome":"pass"},{"id":"b","outcome":"not-claimed"}],"summary":{}}`, "", 2},
		{"no case run", `{"results":[]}`, "", 0},
		{"not JSON", `<testsuites/>`, "not an s3conform JSON report", 0},
		{"other JSON", `{"name":"x"}`, "no results", 0},
		{"null results", `{"results":null}`, "no results", 0},
		{"results not a list", `{"results":{"a":1}}`, "not an s3conform JSON report", 0},
		{"trailing junk", `{"results":[]} x`, "not an s3conform JSON report", 0},
		{"empty", ``, "not an s3conform JSON report", 0},
		{"no id", `{"results":[{"outcome":"pass"}]}`, "result 0 has no id", 0},
		{"twice", `{"results":[{"id":"a","outcome":"pass"},{"id":"a","outcome":"fail"}]}`, "case a appears twice", 0},
		{"bad outcome", `{"results":[{"id":"a","outcome":"passed"}]}`, `unknown outcome "passed"`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, err := ReadJSON(strings.NewReader(tc.in))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			case tc.wantErr == "" && len(run.Results) != tc.cases:
				t.Fatalf("%d results, want %d", len(run.Results), tc.cases)
			}
		})
	}
}

// TestReadJSONRoundTrip reads back what JSON writes.
func TestReadJSONRoundTrip(t *testing.T) {
	var b strings.Builder
	want := sampleRun()
	if err := JSON(&b, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got.S3URL() != "http://127.0.0.1:9000/s3" || len(got.Results) != len(want.Results) {
		t.Errorf("read back %s with %d results", got.S3URL(), len(got.Results))
	}
	if d := Compare(want, got); len(d.Changes) != 0 || d.Unchanged != len(want.Results) {
		t.Errorf("a run differs from itself read back: %s", d.Summary())
	}
}
