package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/s3gw/gateway/conformance/report"
)

const diffUsage = `usage: s3conform diff OLD.json NEW.json

Compares two runs' report.json by case ID and prints the cases that
regressed (fail now and did not before: passed, skipped, not claimed or
absent), got fixed (failed, now pass), appeared, vanished or otherwise
changed outcome, then a one-line summary.

Exit status: 1 when a case regressed, 0 otherwise, 2 when a report cannot
be read.
`

// diffReports is "s3conform diff": a CI gate on "no new failures".
func diffReports(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("s3conform diff", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, diffUsage) }
	if err := flags.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if flags.NArg() != 2 {
		fmt.Fprint(stderr, diffUsage)
		return 2
	}
	var runs [2]*report.Run
	for i, path := range flags.Args() {
		run, err := report.ReadJSONFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "s3conform diff: %v\n", err)
			return 2
		}
		runs[i] = run
	}
	d := report.Compare(runs[0], runs[1])
	if err := d.Write(stdout); err != nil {
		fmt.Fprintf(stderr, "s3conform diff: %v\n", err)
		return 2
	}
	if d.Regressed() {
		return 1
	}
	return 0
}
