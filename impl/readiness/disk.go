package readiness

import (
	"context"
	"fmt"
)

// Dir is a directory the gateway writes to, named by its setting.
type Dir struct{ Var, Path string }

// DiskSpace checks that the filesystem of each directory has at least Min
// bytes free for an unprivileged writer. A full disk fails every write, so
// an instance without room is not ready.
type DiskSpace struct {
	Dirs   []Dir
	Min    int64
	MinVar string // the setting Min comes from, for the message
	// free returns the bytes available at a path (tests replace it).
	free func(path string) (int64, error)
}

// Check implements the server's Checker.
func (d *DiskSpace) Check(context.Context) error {
	if d.Min <= 0 {
		return nil
	}
	free := d.free
	if free == nil {
		free = freeBytes
	}
	for _, dir := range d.Dirs {
		n, err := free(dir.Path)
		if err != nil {
			return fmt.Errorf("%s: cannot read free space: %w", dir.Var, err)
		}
		if n < d.Min {
			return fmt.Errorf("%s has %s free, below %s (%s)", dir.Var, size(n), d.MinVar, size(d.Min))
		}
	}
	return nil
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// All checks each checker in turn and returns the first failure.
type All []interface {
	Check(ctx context.Context) error
}

// Check implements the server's Checker.
func (a All) Check(ctx context.Context) error {
	for _, c := range a {
		if err := c.Check(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Func is a check as a function; nil is always ready.
type Func func(ctx context.Context) error

// Check implements the server's Checker.
func (f Func) Check(ctx context.Context) error {
	if f == nil {
		return nil
	}
	return f(ctx)
}
