package fs

import (
	"errors"
	"fmt"
	"os"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// maxBatch bounds how many writes share one index commit.
const maxBatch = 512

// A commit is one logical index change. apply runs inside the shared write
// transaction; it must check its preconditions before writing anything, and
// it may return a storage sentinel error to refuse the change without
// aborting the batch. Any other error aborts the transaction, and the batch is
// retried one commit at a time so that only the faulty change fails.
type commit struct {
	apply func(tx *bolt.Tx) (removed []string, err error)
	// dirs are directories whose entries (renamed blobs) must be durable
	// before the index may reference them.
	dirs []string

	removed []string
	err     error
	done    chan struct{}
}

// submit queues c for the next group commit and waits for its outcome. Once
// queued a commit always completes, so its outcome is never in doubt.
func (s *Store) submit(c *commit) error {
	c.done = make(chan struct{})
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return storage.ErrClosed
	}
	s.commits <- c
	s.mu.RUnlock()
	<-c.done
	return c.err
}

func (s *Store) commitLoop() {
	defer close(s.done)
	batch := make([]*commit, 0, maxBatch)
	for c := range s.commits {
		batch = append(batch[:0], c)
	gather:
		for len(batch) < maxBatch {
			select {
			case c2, ok := <-s.commits:
				if !ok {
					break gather
				}
				batch = append(batch, c2)
			default:
				break gather
			}
		}
		s.runBatch(batch)
	}
}

func (s *Store) runBatch(batch []*commit) {
	if err := s.syncDirs(batch); err != nil {
		for _, c := range batch {
			c.err = err
			close(c.done)
		}
		return
	}
	s.batches.Add(1)
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, c := range batch {
			c.removed, c.err = c.apply(tx)
			if c.err != nil && !isRefusal(c.err) {
				return c.err
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		// One change broke the transaction: give each its own.
		for _, c := range batch {
			s.runBatch([]*commit{c})
		}
		return
	}
	for _, c := range batch {
		if err != nil {
			c.err, c.removed = fmt.Errorf("commit index: %w", err), nil
		}
		if c.err == nil {
			s.removeBlobs(c.removed)
		}
		close(c.done)
	}
}

// syncDirs makes the directory entries of freshly renamed blobs durable, once
// per directory per batch.
func (s *Store) syncDirs(batch []*commit) error {
	if !s.fsync {
		return nil
	}
	seen := make(map[string]bool)
	for _, c := range batch {
		for _, d := range c.dirs {
			if seen[d] {
				continue
			}
			seen[d] = true
			if err := syncDir(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir for sync: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// isRefusal reports whether err is a logical refusal, which fails one change
// but leaves the rest of its batch to commit.
func isRefusal(err error) bool {
	for _, e := range []error{
		storage.ErrNoSuchBucket, storage.ErrNoSuchKey, storage.ErrBucketNotEmpty, storage.ErrBucketExists,
		storage.ErrPreconditionFailed, storage.ErrNoSuchUpload, storage.ErrInvalidPart, storage.ErrInvalidPartOrder,
		storage.ErrEntityTooSmall, tenancy.ErrOwnedByYou, tenancy.ErrTaken, tenancy.ErrNotOwner,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// removeBlobs deletes blobs no longer referenced by the index, deferring any
// that an open reader still pins. A failure only leaves an orphan behind,
// which the next unclean start collects.
func (s *Store) removeBlobs(ids []string) {
	for _, id := range s.pins.release(ids) {
		if isInline(id) {
			continue // its bytes went with its index entry
		}
		if err := os.Remove(s.blobPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.leaked.Store(true)
			s.log.Warn("storage: could not remove unreferenced blob", "blob", id, "err", err)
		}
	}
}

// pinSet keeps blobs that open readers use from being removed under them.
// Readers pin while holding mu around their index read, so a writer's
// removal either happens before the read (which then sees the new index) or
// finds the pin.
type pinSet struct {
	mu     sync.Mutex
	count  map[string]int
	doomed map[string]bool // unreferenced, removed when the last pin goes
}

func (p *pinSet) init() {
	p.count = make(map[string]int)
	p.doomed = make(map[string]bool)
}

// pinLocked adds a reference to each id; the caller holds p.mu.
func (p *pinSet) pinLocked(ids []string) {
	for _, id := range ids {
		p.count[id]++
	}
}

// anyDoomed reports whether an unreferenced blob waits for a reader.
func (p *pinSet) anyDoomed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.doomed) > 0
}

// unpin drops the references and returns the ids that must now be removed.
func (p *pinSet) unpin(ids []string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, id := range ids {
		p.count[id]--
		if p.count[id] > 0 {
			continue
		}
		delete(p.count, id)
		if p.doomed[id] {
			delete(p.doomed, id)
			out = append(out, id)
		}
	}
	return out
}

// release marks ids unreferenced and returns those no reader pins, which
// the caller removes now; the rest are removed by the last unpin.
func (p *pinSet) release(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := ids[:0:0]
	for _, id := range ids {
		if p.count[id] > 0 {
			p.doomed[id] = true
			continue
		}
		out = append(out, id)
	}
	return out
}
