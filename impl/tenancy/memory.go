package tenancy

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is a Registry in memory, for tests and single-process use with
// the in-memory storage backend.
type Memory struct {
	mu     sync.Mutex
	claims map[string]Claim
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{claims: make(map[string]Claim)} }

// Owner implements Registry.
func (m *Memory) Owner(ctx context.Context, bucket string) (Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[bucket]
	if !ok {
		return Claim{}, ErrUnclaimed
	}
	return c, nil
}

// Claim implements Registry.
func (m *Memory) Claim(ctx context.Context, bucket, project string) (Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.claims[bucket]; ok {
		if c.Owner == project {
			return c, ErrOwnedByYou
		}
		return c, ErrTaken
	}
	c := Claim{Bucket: bucket, Owner: project, Created: time.Now().UTC()}
	m.claims[bucket] = c
	return c, nil
}

// Release implements Registry.
func (m *Memory) Release(ctx context.Context, bucket, project string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.claims[bucket]
	switch {
	case !ok:
		return nil
	case c.Owner != project:
		return ErrNotOwner
	}
	delete(m.claims, bucket)
	return nil
}

// List implements Registry.
func (m *Memory) List(ctx context.Context, project string, opts ListOptions) ([]Claim, bool, error) {
	m.mu.Lock()
	var out []Claim
	for name, c := range m.claims {
		if (project == "" || c.Owner == project) && strings.HasPrefix(name, opts.Prefix) && name > opts.After {
			out = append(out, c)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Claim) int { return strings.Compare(a.Bucket, b.Bucket) })
	if opts.Limit > 0 && len(out) > opts.Limit {
		return out[:opts.Limit], true, nil
	}
	return out, false, nil
}
