// Command s3conform runs the conformance suite against an S3 endpoint and
// writes JUnit XML, JSON and a Markdown summary.
//
//	s3conform features
//	s3conform list [--features a,b]
//	s3conform run [--target FILE.toml] [--features a,b] [--run REGEX] [--report DIR] [--parallel N]
//	s3conform diff OLD.json NEW.json
//
// Features are Amazon S3's or this gateway's extensions; --features takes
// their names and "s3" or "extensions" for each group. Without --target it
// builds and starts this repository's gateway and mock control plane on
// free ports. A target with a [container] section is
// started with testcontainers-go first, one with a [command] section as a
// local process; an endpoint that gives no HTTP answer stops the run before
// any case. The exit status is 0 only when every
// claimed case passed, 1 when one failed, 2 for a usage or set-up error.
// diff compares two runs' JSON reports and exits 1 when a case regressed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/container"
	"github.com/s3gw/gateway/conformance/launch"
	"github.com/s3gw/gateway/conformance/report"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  s3conform features                   the features, their kinds and numbers of cases
  s3conform list [--features a,b]      the cases
  s3conform run [flags]                run the suite, write report.xml, .json, .md (run -h: flags)
  s3conform diff OLD.json NEW.json     compare two runs' report.json; status 1 on a regression

run exits 0 when every claimed case passed, 1 when one failed, 2 on a usage
or set-up error (an unreachable endpoint included).
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "diff":
		return diffReports(args[1:], stdout, stderr)
	case "features":
		return features(stdout)
	case "list":
		return list(args[1:], stdout, stderr)
	case "run":
		return runSuite(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "s3conform: unknown command %q: want features, list, run or diff\n", args[0])
	return 2
}

// parseFeatures reads a comma-separated list of feature names, where "s3"
// stands for every S3 feature and "extensions" for every extension.
func parseFeatures(v string) ([]conformance.Feature, error) {
	if v == "" {
		return nil, nil
	}
	var out []conformance.Feature
	for _, f := range strings.Split(v, ",") {
		switch f = strings.TrimSpace(f); {
		case f == string(conformance.FeatureS3):
			out = append(out, conformance.S3Features...)
		case f == "extensions":
			out = append(out, conformance.ExtensionFeatures...)
		case slices.Contains(conformance.AllFeatures, conformance.Feature(f)):
			out = append(out, conformance.Feature(f))
		default:
			return nil, fmt.Errorf("unknown feature %q", f)
		}
	}
	return out, nil
}

// features prints every feature: its kind, its number of cases and what
// its cases check.
func features(stdout io.Writer) int {
	counts := map[conformance.Feature]int{}
	for _, c := range conformance.Cases() {
		counts[c.Feature]++
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FEATURE\tKIND\tCASES\tCHECKS")
	for _, f := range conformance.AllFeatures {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", f, f.Kind(), counts[f], f.Doc())
	}
	w.Flush()
	fmt.Fprintln(stdout, "\nA target without a features line claims the s3 features; it claims an extension only by naming it.")
	return 0
}

func list(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("s3conform list", flag.ContinueOnError)
	flags.SetOutput(stderr)
	features := flags.String("features", "", "only these comma-separated features")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	fs, err := parseFeatures(*features)
	if err != nil {
		fmt.Fprintf(stderr, "s3conform: --features: %v\n", err)
		return 2
	}
	cases := conformance.Select(nil, fs)
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tFEATURE\tKIND\tOPERATIONS\tDESCRIPTION")
	counts := map[conformance.Feature]int{}
	for _, c := range cases {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Feature, c.Feature.Kind(), strings.Join(c.Ops, ","), c.Desc)
		counts[c.Feature]++
	}
	w.Flush()
	fmt.Fprintf(stdout, "\n%d cases\n", len(cases))
	for _, group := range []struct {
		name     string
		features []conformance.Feature
	}{{"S3 features", conformance.S3Features}, {"extensions", conformance.ExtensionFeatures}} {
		n := 0
		var parts []string
		for _, f := range group.features {
			if counts[f] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", f, counts[f]))
				n += counts[f]
			}
		}
		if n > 0 {
			fmt.Fprintf(stdout, "%s (%d): %s\n", group.name, n, strings.Join(parts, ", "))
		}
	}
	return 0
}

func runSuite(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("s3conform run", flag.ContinueOnError)
	flags.SetOutput(stderr)
	targetFile := flags.String("target", "", "target description (TOML); none starts this repository's gateway")
	features := flags.String("features", "", "only these comma-separated features")
	runRE := flags.String("run", "", "only cases whose ID matches this regular expression")
	reportDir := flags.String("report", "reports", "directory for report.xml, report.json and report.md")
	parallel := flags.Int("parallel", 8, "cases run at once")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "s3conform: "+format+"\n", a...)
		return 2
	}
	fs, err := parseFeatures(*features)
	if err != nil {
		return fail("--features: %v", err)
	}
	var re *regexp.Regexp
	if *runRE != "" {
		if re, err = regexp.Compile(*runRE); err != nil {
			return fail("--run: %v", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	target, cleanup, err := prepareTarget(ctx, *targetFile, stderr)
	if err != nil {
		return fail("%v", err)
	}
	defer cleanup()
	if err := checkReachable(ctx, target, reachTimeout); err != nil {
		return fail("%v", err)
	}

	fmt.Fprintf(stderr, "s3conform: running against %s (%s), claiming %s\n", target.Name, target.Endpoint, claimed(target))
	start := time.Now()
	results, err := conformance.Execute(ctx, target, conformance.ExecOptions{Run: re, Features: fs, Parallel: *parallel})
	if err != nil {
		return fail("%v", err)
	}
	r := &report.Run{Target: target.Name, Endpoint: target.Endpoint, PathPrefix: target.PathPrefix, Started: start, Duration: time.Since(start), Results: results}
	if err := report.WriteAll(*reportDir, r); err != nil {
		return fail("%v", err)
	}
	if err := report.Markdown(stdout, r); err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(stderr, "s3conform: reports in %s\n", *reportDir)
	if !conformance.Passed(results) {
		return 1
	}
	return 0
}

// claimed says which features the target claims: the S3 features, all or
// some, and any extensions.
func claimed(t *conformance.Target) string {
	var s3, ext []string
	for _, f := range conformance.AllFeatures {
		switch {
		case !t.Claims(f):
		case f.Extension():
			ext = append(ext, string(f))
		default:
			s3 = append(s3, string(f))
		}
	}
	out := "the S3 features " + strings.Join(s3, ", ")
	if len(s3) == len(conformance.S3Features) {
		out = "every S3 feature"
	} else if len(s3) == 0 {
		out = "no S3 feature"
	}
	if len(ext) == 0 {
		return out + " and no extension"
	}
	return out + " and the extensions " + strings.Join(ext, ", ")
}

// prepareTarget loads the target or, without one, launches this
// repository's gateway and mock control plane.
func prepareTarget(ctx context.Context, file string, stderr io.Writer) (*conformance.Target, func(), error) {
	if file == "" {
		dir, err := os.MkdirTemp("", "s3conform-")
		if err != nil {
			return nil, nil, err
		}
		cp, err := launch.StartControlPlane(dir + "/controlplane")
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		g, err := launch.Start(launch.Options{Dir: dir + "/gateway", ControlPlane: cp})
		if err != nil {
			cp.Stop()
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return g.Target(), func() {
			if err := g.Stop(); err != nil {
				fmt.Fprintf(stderr, "s3conform: stopping the gateway: %v\n", err)
			}
			cp.Stop()
			os.RemoveAll(dir)
		}, nil
	}
	t, err := conformance.LoadTarget(file)
	if err != nil {
		return nil, nil, err
	}
	if t.Command != nil {
		stop, err := startCommand(ctx, t, stderr)
		return t, stop, err
	}
	if t.Container == nil {
		return t, func() {}, nil
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	stop, err := container.Start(ctx, t, stderr)
	if err != nil {
		return nil, nil, err
	}
	return t, stop, nil
}
