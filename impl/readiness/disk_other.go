//go:build !(linux || darwin || freebsd)

package readiness

import "math"

// freeBytes cannot be read here: the check passes.
func freeBytes(string) (int64, error) { return math.MaxInt64, nil }
