package upstream

import (
	"net/http"
	"testing"
	"time"
)

// TestCommitTime: the second of the store's stamp is taken from a PUT's
// timing only when nothing leaves it in doubt.
func TestCommitTime(t *testing.T) {
	base := time.Date(2026, 5, 1, 12, 0, 7, 0, time.UTC)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	date := func(tm time.Time) string { return tm.Format(http.TimeFormat) }
	for _, c := range []struct {
		name           string
		sent, answered time.Time
		date           string
		known          bool
	}{
		{"within the second", at(100), at(300), date(base), true},
		{"crossing into the next second", at(900), at(1100), date(base.Add(time.Second)), false},
		{"too near its start", at(10), at(300), date(base), false},
		{"too near its end", at(100), at(990), date(base), false},
		{"the store's clock a second ahead", at(100), at(300), date(base.Add(time.Second)), false},
		{"no Date", at(100), at(300), "", false},
	} {
		got, known := commitTime(c.sent, c.answered, c.date)
		if known != c.known || (known && !got.Equal(base)) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, known, c.known)
		}
	}
}
