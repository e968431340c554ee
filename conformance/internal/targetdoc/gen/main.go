// Command gen writes the table of target-file keys into a Markdown file,
// between targetdoc.Begin and targetdoc.End (go generate ./conformance).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/s3gw/gateway/conformance/internal/targetdoc"
)

func main() {
	src := flag.String("src", ".", "directory of package conformance")
	doc := flag.String("doc", "../docs/conformance.md", "Markdown file to update")
	flag.Parse()
	if err := run(*src, *doc); err != nil {
		fmt.Fprintf(os.Stderr, "targetdoc: %v\n", err)
		os.Exit(1)
	}
}

func run(src, doc string) error {
	rows, err := targetdoc.Rows(src)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	out, err := targetdoc.Splice(string(old), targetdoc.Table(rows))
	if err != nil {
		return fmt.Errorf("%s: %w", doc, err)
	}
	return os.WriteFile(doc, []byte(out), 0o644)
}
