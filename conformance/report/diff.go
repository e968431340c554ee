package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/s3gw/gateway/conformance"
)

// Kind classifies how a case's outcome moved from one run to the next.
type Kind string

// The kinds, in the order a diff lists them. Every case present in either
// run and not unchanged has exactly one.
const (
	// Regressed: the case fails now and did not fail before, whatever it
	// was: passed, skipped, not claimed, or not in the old run at all (a
	// new or renamed case). These are the "new failures" a CI gate stops on.
	Regressed Kind = "regressed"
	// Fixed: failed before, passes now.
	Fixed Kind = "fixed"
	// Appeared: only in the new run, and not failing there.
	Appeared Kind = "appeared"
	// Vanished: only in the old run (a case removed or renamed, or a
	// narrower --run or --features).
	Vanished Kind = "vanished"
	// Changed: any other move between outcomes, none of them a failure
	// now: passed to skipped or not claimed (the case no longer judges the
	// target, say a known deviation was listed), failed to skipped or not
	// claimed, skipped or not claimed to passed, skipped to not claimed.
	Changed Kind = "changed"
)

// Kinds lists the kinds in the order a diff prints them.
var Kinds = []Kind{Regressed, Fixed, Appeared, Vanished, Changed}

// Change is one case whose outcome differs between two runs. Old or New is
// "" when the case is absent from that run.
type Change struct {
	Kind    Kind
	ID      string
	Old     conformance.Outcome
	New     conformance.Outcome
	Message string // the newer message the case has, for context
}

// Diff is the comparison of two runs.
type Diff struct {
	Changes              []Change // by kind (in Kinds order), then by ID
	Unchanged            int      // cases with the same outcome in both runs
	OldFailed, NewFailed int      // failures in each run
}

// Count returns how many changes are of kind k.
func (d *Diff) Count(k Kind) int {
	n := 0
	for _, c := range d.Changes {
		if c.Kind == k {
			n++
		}
	}
	return n
}

// Regressed reports whether any case fails now that did not fail before.
func (d *Diff) Regressed() bool { return d.Count(Regressed) > 0 }

// classify says what kind of change from → to is, or "" for none. An
// absent outcome is "".
func classify(from, to conformance.Outcome) Kind {
	switch {
	case from == to:
		return ""
	case to == conformance.Fail:
		return Regressed
	case from == "":
		return Appeared
	case to == "":
		return Vanished
	case from == conformance.Fail && to == conformance.Pass:
		return Fixed
	}
	return Changed
}

// Compare sets the results of two runs side by side, matching cases by ID.
func Compare(older, newer *Run) *Diff {
	d := &Diff{}
	before := map[string]conformance.Result{}
	for _, r := range older.Results {
		before[r.ID] = r
		if r.Outcome == conformance.Fail {
			d.OldFailed++
		}
	}
	seen := map[string]bool{}
	for _, r := range newer.Results {
		seen[r.ID] = true
		if r.Outcome == conformance.Fail {
			d.NewFailed++
		}
		prev := before[r.ID] // zero Result, outcome "", when absent
		if k := classify(prev.Outcome, r.Outcome); k != "" {
			d.Changes = append(d.Changes, Change{Kind: k, ID: r.ID, Old: prev.Outcome, New: r.Outcome, Message: r.Message})
		} else {
			d.Unchanged++
		}
	}
	for _, r := range older.Results {
		if !seen[r.ID] {
			d.Changes = append(d.Changes, Change{Kind: Vanished, ID: r.ID, Old: r.Outcome, Message: r.Message})
		}
	}
	slices.SortFunc(d.Changes, func(a, b Change) int {
		if c := slices.Index(Kinds, a.Kind) - slices.Index(Kinds, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return d
}

// Summary is the diff in one line.
func (d *Diff) Summary() string {
	var parts []string
	for _, k := range Kinds {
		parts = append(parts, fmt.Sprintf("%d %s", d.Count(k), k))
	}
	return fmt.Sprintf("%s, %d unchanged; failures %d -> %d", strings.Join(parts, ", "), d.Unchanged, d.OldFailed, d.NewFailed)
}

// Write prints each kind's changes under a heading, one case a line with
// its move and the first line of its message, columns aligned across
// headings, then the summary.
func (d *Diff) Write(w io.Writer) error {
	idW, moveW := 0, 0
	for _, c := range d.Changes {
		idW, moveW = max(idW, len(c.ID)), max(moveW, len(move(c)))
	}
	var b strings.Builder
	for _, k := range Kinds {
		if n := d.Count(k); n > 0 {
			fmt.Fprintf(&b, "%s (%d):\n", k, n)
		}
		for _, c := range d.Changes {
			if c.Kind != k {
				continue
			}
			first, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
			line := fmt.Sprintf("  %-*s  %-*s  %s", idW, c.ID, moveW, move(c), clip(first, 200))
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	fmt.Fprintf(&b, "s3conform diff: %s\n", d.Summary())
	_, err := io.WriteString(w, b.String())
	return err
}

func move(c Change) string { return outcomeName(c.Old) + " -> " + outcomeName(c.New) }

func outcomeName(o conformance.Outcome) string {
	if o == "" {
		return "(absent)"
	}
	return string(o)
}

// ReadJSON reads a report JSON writes, checking that it is one: a results
// list whose cases have IDs, once each, and known outcomes.
func ReadJSON(r io.Reader) (*Run, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not an s3conform JSON report: %w", err)
	}
	if len(probe.Results) == 0 || string(probe.Results) == "null" {
		return nil, errors.New("not an s3conform JSON report: no results")
	}
	run := &Run{}
	if err := json.Unmarshal(data, run); err != nil {
		return nil, fmt.Errorf("not an s3conform JSON report: %w", err)
	}
	ids := map[string]bool{}
	for i, res := range run.Results {
		switch {
		case res.ID == "":
			return nil, fmt.Errorf("result %d has no id", i)
		case ids[res.ID]:
			return nil, fmt.Errorf("case %s appears twice", res.ID)
		}
		switch res.Outcome {
		case conformance.Pass, conformance.Fail, conformance.Skip, conformance.NotClaimed:
		default:
			return nil, fmt.Errorf("case %s: unknown outcome %q", res.ID, res.Outcome)
		}
		ids[res.ID] = true
	}
	return run, nil
}

// ReadJSONFile reads the JSON report at path.
func ReadJSONFile(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	run, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return run, nil
}
