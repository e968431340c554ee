package conformance

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// describeDecodeError turns go-toml's errors into messages that say where
// the problem is: an unknown key by its dotted name and line, with the
// nearest key the target file format has at that place.
func describeDecodeError(err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		known := targetFileKeys()
		msgs := make([]string, 0, len(strict.Errors))
		for i := range strict.Errors {
			e := &strict.Errors[i]
			key := e.Key()
			if len(key) == 0 {
				continue
			}
			row, _ := e.Position()
			table, name := strings.Join(key[:len(key)-1], "."), key[len(key)-1]
			msg := fmt.Sprintf("line %d: unknown key %q", row, strings.Join(key, "."))
			if table != "" {
				msg += fmt.Sprintf(" in [%s]", table)
			}
			switch s := nearestKey(name, known[table]); {
			case s != "":
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			case table != "" && slices.Contains(known[""], name):
				// The TOML trap: a key after a [table] header is in it.
				msg += fmt.Sprintf(" (%q is a top-level key: put it before the first [table])", name)
			}
			msgs = append(msgs, msg)
		}
		if len(msgs) > 0 {
			return errors.New(strings.Join(msgs, "; ") + " (docs/conformance.md lists the keys)")
		}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("line %d, column %d: %w", row, col, err)
	}
	return err
}

// targetFileKeys returns the keys of a target file by table ("" for the
// top level, "container" for [container]). Tables that take any key (env,
// known_deviations) have no entry.
func targetFileKeys() map[string][]string {
	out := map[string][]string{}
	var walk func(t reflect.Type, table string)
	walk = func(t reflect.Type, table string) {
		for i := range t.NumField() {
			f := t.Field(i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				walk(ft, table)
				continue
			}
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			out[table] = append(out[table], name)
			if ft.Kind() == reflect.Struct {
				sub := name
				if table != "" {
					sub = table + "." + name
				}
				walk(ft, sub)
			}
		}
	}
	walk(reflect.TypeFor[targetFile](), "")
	for _, keys := range out {
		slices.Sort(keys)
	}
	return out
}

// nearestKey returns the known key closest to name by edit distance, when
// it is close enough to be a likely misspelling.
func nearestKey(name string, known []string) string {
	best, bestD := "", len(name)/3+2
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
