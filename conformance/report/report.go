// Package report writes conformance results as JUnit XML (for CI), JSON
// (for machines) and a Markdown summary (for people): a table per feature,
// each failure with its message in short and each skipped case with its
// reason. Compare sets two JSON reports side by side.
package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/s3gw/gateway/conformance"
)

// Run is one run's results and what it ran against.
type Run struct {
	Target   string `json:"target"`
	Endpoint string `json:"endpoint"`
	// PathPrefix is where the S3 API is mounted under Endpoint ("" for
	// the root).
	PathPrefix string                `json:"path_prefix,omitempty"`
	Started    time.Time             `json:"started"`
	Duration   time.Duration         `json:"duration_ns"`
	Results    []conformance.Result  `json:"results"`
	Summary    conformance.Summary   `json:"summary"`
	Features   []conformance.Feature `json:"-"`
}

// WriteAll writes report.xml, report.json and report.md into dir.
func WriteAll(dir string, run *Run) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	for name, write := range map[string]func(io.Writer, *Run) error{
		"report.xml": JUnit, "report.json": JSON, "report.md": Markdown,
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		if err := write(f, run); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// JSON writes the run as JSON.
func JSON(w io.Writer, run *Run) error {
	run.Summary = conformance.Summarize(run.Results)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// JUnit writes one test suite per feature; unclaimed cases count as
// skipped with that reason.
func JUnit(w io.Writer, run *Run) error {
	out := junitSuites{Name: "s3conform: " + run.Target, Time: seconds(run.Duration)}
	byFeature := map[conformance.Feature]*junitSuite{}
	var order []conformance.Feature
	for _, r := range run.Results {
		s := byFeature[r.Feature]
		if s == nil {
			s = &junitSuite{Name: string(r.Feature)}
			byFeature[r.Feature] = s
			order = append(order, r.Feature)
		}
		c := junitCase{Name: r.ID, Classname: string(r.Feature), Time: seconds(r.Duration)}
		switch r.Outcome {
		case conformance.Fail:
			c.Failure = &junitMessage{Message: firstLine(r.Message), Body: r.Message + "\n" + strings.Join(tail(r.Log, 20), "\n")}
			s.Failures++
		case conformance.Skip:
			c.Skipped = &junitMessage{Message: firstLine(r.Message)}
			s.Skipped++
		case conformance.NotClaimed:
			c.Skipped = &junitMessage{Message: "not claimed by the target (" + r.Feature.Kind() + " feature)"}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for _, f := range order {
		s := byFeature[f]
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// S3URL is the S3 API's root: the endpoint with the path prefix.
func (run *Run) S3URL() string {
	return strings.TrimRight(run.Endpoint, "/") + strings.TrimRight(run.PathPrefix, "/")
}

// Markdown writes the summary table, the failures and the skipped cases.
func Markdown(w io.Writer, run *Run) error {
	sum := conformance.Summarize(run.Results)
	var b strings.Builder
	fmt.Fprintf(&b, "# Conformance: %s\n\n", run.Target)
	fmt.Fprintf(&b, "Endpoint `%s`, %d cases, run %s in %s.\n\n", run.S3URL(), len(run.Results),
		run.Started.UTC().Format(time.RFC3339), run.Duration.Round(time.Second))
	b.WriteString("| feature | kind | passed | failed | skipped | not claimed |\n|---|---|---:|---:|---:|---:|\n")
	features := conformance.AllFeatures
	total := map[conformance.Outcome]int{}
	for _, f := range features {
		c := sum[f]
		if c == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d |\n", f, f.Kind(), c[conformance.Pass], c[conformance.Fail], c[conformance.Skip], c[conformance.NotClaimed])
		for o, n := range c {
			total[o] += n
		}
	}
	fmt.Fprintf(&b, "| **all** | | **%d** | **%d** | **%d** | **%d** |\n\n", total[conformance.Pass], total[conformance.Fail], total[conformance.Skip], total[conformance.NotClaimed])
	failed, skipped := byOutcome(run.Results, conformance.Fail), byOutcome(run.Results, conformance.Skip)
	switch {
	case len(failed) > 0:
	case len(skipped) > 0:
		fmt.Fprintf(&b, "No claimed case failed; %d skipped (below).\n\n", len(skipped))
	default:
		b.WriteString("Every claimed case passed.\n\n")
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "## Failures (%d)\n\n", len(failed))
		for _, r := range failed {
			fmt.Fprintf(&b, "### `%s`\n\n%s\n\n```\n%s\n```\n\n", r.ID, r.Desc, short(r.Message, 1500))
		}
	}
	if len(skipped) > 0 {
		// A skip is a claimed case that did not judge the target (a setting
		// it lacks, a known deviation): each is listed with its reason so a
		// reader can tell coverage lost from coverage never claimed.
		fmt.Fprintf(&b, "## Skipped (%d)\n\n", len(skipped))
		for _, r := range skipped {
			reason, rest, _ := strings.Cut(strings.TrimSpace(r.Message), "\n")
			if reason == "" {
				reason = "(no reason given)"
			}
			fmt.Fprintf(&b, "- `%s`: %s\n", r.ID, clip(reason, 300))
			if rest = strings.TrimSpace(rest); rest != "" {
				fmt.Fprintf(&b, "\n  ```\n%s\n  ```\n\n", indent(short(rest, 1500), "  "))
			}
		}
	}
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

// byOutcome returns the results with outcome o, sorted by ID.
func byOutcome(results []conformance.Result, o conformance.Outcome) []conformance.Result {
	var out []conformance.Result
	for _, r := range results {
		if r.Outcome == o {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b conformance.Result) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// indent prefixes every line of s, so a block stays inside a list item.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return short(line, 200)
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n… (truncated)"
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
