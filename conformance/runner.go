package conformance

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Outcome is how a case ended.
type Outcome string

// The outcomes. A case of a feature the target does not claim is NotClaimed,
// never Pass.
const (
	Pass       Outcome = "pass"
	Fail       Outcome = "fail"
	Skip       Outcome = "skip"
	NotClaimed Outcome = "not-claimed"
)

// Result is one case's outcome.
type Result struct {
	ID       string        `json:"id"`
	Feature  Feature       `json:"feature"`
	Ops      []string      `json:"ops"`
	Desc     string        `json:"description"`
	Outcome  Outcome       `json:"outcome"`
	Message  string        `json:"message,omitempty"`
	Log      []string      `json:"log,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// ExecOptions tunes Execute.
type ExecOptions struct {
	// Run selects cases by ID (nil for all).
	Run *regexp.Regexp
	// Features restricts the run to these features (empty for all).
	Features []Feature
	// Parallel is how many cases run at once (default 8).
	Parallel int
	// Timeout bounds one case (default 5 minutes).
	Timeout time.Duration
}

// Execute runs the selected cases against target outside `go test`, for
// the s3conform runner and for comparing a server with its expectations.
// Results come back in case-ID order.
func Execute(ctx context.Context, target *Target, opts ExecOptions) ([]Result, error) {
	if err := target.validate(); err != nil {
		return nil, fmt.Errorf("bad target: %w", err)
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	cases := Select(opts.Run, opts.Features)
	results := make([]Result, len(cases))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, c := range cases {
		results[i] = Result{ID: c.ID, Feature: c.Feature, Ops: c.Ops, Desc: c.Desc}
		if !target.Claims(c.Feature) {
			results[i].Outcome = NotClaimed
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, c Case) {
			defer wg.Done()
			defer func() { <-sem }()
			runOne(ctx, target, c, opts.Timeout, &results[i])
			if reason, ok := target.KnownDeviations[c.ID]; ok {
				judgeDeviation(reason, &results[i])
			}
		}(i, c)
	}
	wg.Wait()
	return results, nil
}

// runOne runs a case and then its cleanups, each in a goroutine of its own
// so that FailNow and Skipf can end them with runtime.Goexit as in testing.
func runOne(ctx context.Context, target *Target, c Case, timeout time.Duration, res *Result) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := &runnerT{name: c.ID, ctx: cctx}
	start := time.Now()
	finished := t.goexitable(func() { c.Run(t, NewEnv(t, target)) })
	select {
	case <-finished:
	case <-cctx.Done():
		t.Errorf("case did not finish within %v", timeout)
	}
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		select {
		case <-t.goexitable(t.cleanups[i]):
		case <-time.After(time.Minute):
			t.Errorf("cleanup did not finish within a minute")
		}
	}
	res.Duration = time.Since(start)
	t.mu.Lock()
	defer t.mu.Unlock()
	res.Log = t.logs
	res.Message = strings.Join(t.msgs, "\n")
	switch {
	case t.failed:
		res.Outcome = Fail
	case t.skipped:
		res.Outcome = Skip
	default:
		res.Outcome = Pass
	}
}

// judgeDeviation turns the result of a case the target is known to fail:
// a failure is expected (reported skipped, with the reason and what
// failed), anything else means the list is out of date.
func judgeDeviation(reason string, r *Result) {
	switch r.Outcome {
	case Fail:
		r.Outcome = Skip
		r.Message = "known deviation of this target: " + reason + "\n(it failed as expected: " + r.Message + ")"
	case Pass:
		r.Outcome = Fail
		r.Message = "listed as a known deviation of this target (" + reason + ") but passed: remove it from the list"
	}
}

// runnerT is T outside `go test`.
type runnerT struct {
	name     string
	ctx      context.Context
	mu       sync.Mutex
	failed   bool
	skipped  bool
	msgs     []string
	logs     []string
	cleanups []func()
}

// goexitable runs f in a goroutine, turning a panic into a failure; the
// channel closes when f returns or calls runtime.Goexit.
func (t *runnerT) goexitable(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				buf := make([]byte, 4096)
				buf = buf[:runtime.Stack(buf, false)]
				t.Errorf("panic: %v\n%s", v, buf)
			}
		}()
		f()
	}()
	return done
}

func (t *runnerT) Helper()                  {}
func (t *runnerT) Name() string             { return t.name }
func (t *runnerT) Context() context.Context { return t.ctx }

func (t *runnerT) Errorf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
	t.msgs = append(t.msgs, fmt.Sprintf(format, args...))
}

func (t *runnerT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit()
}

func (t *runnerT) FailNow() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	runtime.Goexit()
}

func (t *runnerT) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *runnerT) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.logs = append(t.logs, fmt.Sprintf(format, args...))
}

func (t *runnerT) Skipf(format string, args ...any) {
	t.mu.Lock()
	t.skipped = true
	t.msgs = append(t.msgs, fmt.Sprintf(format, args...))
	t.mu.Unlock()
	runtime.Goexit()
}

func (t *runnerT) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// Summary counts outcomes per feature.
type Summary map[Feature]map[Outcome]int

// Summarize counts results by feature and outcome.
func Summarize(results []Result) Summary {
	s := Summary{}
	for _, r := range results {
		if s[r.Feature] == nil {
			s[r.Feature] = map[Outcome]int{}
		}
		s[r.Feature][r.Outcome]++
	}
	return s
}

// Passed reports whether every claimed case passed or skipped.
func Passed(results []Result) bool {
	return !slices.ContainsFunc(results, func(r Result) bool { return r.Outcome == Fail })
}
