// Package fs is the embedded storage backend: object bytes in files named by
// opaque ids, metadata in a bbolt index.
//
// A write streams the body into a temp file while hashing it, fsyncs it,
// renames it into the blob tree and only then commits the index entry that
// makes it visible; the blob it replaced is removed after the commit. A crash
// at any point therefore leaves either the old object or the new one. Files
// that no index entry references (temp files, blobs of writes that never
// committed, blobs whose removal was cut short) are collected at start-up.
//
// The index is the single source of truth. Its layout:
//
//	buckets/<name>            -> bucketRecord
//	objects/<name>/<key>      -> objectRecord (a nested bucket per S3 bucket,
//	                             so a listing is one cursor seek)
//	blobs/<id>                -> "" (every blob an object references)
//	meta/clean                -> "1" after a clean shutdown
package fs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/s3gw/gateway/impl/storage"
)

var (
	bktBuckets = []byte("buckets")
	bktObjects = []byte("objects")
	bktBlobs   = []byte("blobs")
	bktMeta    = []byte("meta")
	keyClean   = []byte("clean")
)

// Options configures a Store.
type Options struct {
	// DataDir holds the blob tree and the temp files of writes in progress.
	DataDir string
	// MetaFile is the bbolt index.
	MetaFile string
	// Fsync makes every acknowledged write durable (file, directory and
	// index). Turning it off trades crash safety for speed.
	Fsync  bool
	Logger *slog.Logger
}

// Store is the embedded backend. It is safe for concurrent use.
type Store struct {
	db      *bolt.DB
	blobDir string
	tmpDir  string
	fsync   bool
	log     *slog.Logger

	commits chan *commit
	done    chan struct{}

	mu     sync.RWMutex // guards closed against sends on commits
	closed bool

	pins pinSet

	batches atomic.Int64 // index commits made, for tests and metrics
}

var _ storage.Backend = (*Store)(nil)

// Open opens (or creates) the store and collects garbage left by a crash.
func Open(opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		blobDir: filepath.Join(opts.DataDir, "blobs"),
		tmpDir:  filepath.Join(opts.DataDir, "tmp"),
		fsync:   opts.Fsync,
		log:     opts.Logger,
		commits: make(chan *commit, 256),
		done:    make(chan struct{}),
	}
	s.pins.init()
	for _, d := range []string{s.blobDir, s.tmpDir, filepath.Dir(opts.MetaFile)} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	for i := 0; i < 256; i++ {
		if err := os.MkdirAll(filepath.Join(s.blobDir, fmt.Sprintf("%02x", i)), 0o750); err != nil {
			return nil, fmt.Errorf("create blob dir: %w", err)
		}
	}
	db, err := bolt.Open(opts.MetaFile, 0o600, &bolt.Options{
		Timeout:        2 * time.Second,
		NoSync:         !opts.Fsync,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open index %s: locked by another process", opts.MetaFile)
		}
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) {
			return nil, fmt.Errorf("open index %s: not a bbolt index (the Node.js gateway's JSON metadata cannot be reused; use a new path)", opts.MetaFile)
		}
		return nil, fmt.Errorf("open index %s: %w", opts.MetaFile, err)
	}
	s.db = db
	clean := false
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bktBuckets, bktObjects, bktBlobs, bktMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bktMeta)
		clean = string(meta.Get(keyClean)) == "1"
		return meta.Delete(keyClean)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise index %s: %w", opts.MetaFile, err)
	}
	if err := s.collectGarbage(!clean); err != nil {
		db.Close()
		return nil, err
	}
	go s.commitLoop()
	return s, nil
}

// Close stops accepting writes, lets queued commits finish and closes the
// index, marking the shutdown clean so the next start can skip the blob scan.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.commits)
	s.mu.Unlock()
	<-s.done
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bktMeta).Put(keyClean, []byte("1"))
	})
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Check reports whether the index is open and the data directory writable.
func (s *Store) Check(ctx context.Context) error {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return storage.ErrClosed
	}
	if err := s.db.View(func(tx *bolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	f, err := os.CreateTemp(s.tmpDir, "probe-")
	if err != nil {
		return fmt.Errorf("data dir not writable: %w", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// collectGarbage empties the temp dir and, after an unclean shutdown, removes
// every blob the index does not reference. It runs before the store serves.
func (s *Store) collectGarbage(scanBlobs bool) error {
	tmps, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return fmt.Errorf("read temp dir: %w", err)
	}
	for _, e := range tmps {
		if err := os.RemoveAll(filepath.Join(s.tmpDir, e.Name())); err != nil {
			return fmt.Errorf("remove temp file: %w", err)
		}
	}
	if !scanBlobs {
		return nil
	}
	removed := 0
	dirs, err := os.ReadDir(s.blobDir)
	if err != nil {
		return fmt.Errorf("read blob dir: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(s.blobDir, d.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("read blob dir: %w", err)
		}
		var orphans []string
		err = s.db.View(func(tx *bolt.Tx) error {
			refs := tx.Bucket(bktBlobs)
			for _, f := range files {
				if refs.Get([]byte(f.Name())) == nil {
					orphans = append(orphans, f.Name())
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("scan blobs: %w", err)
		}
		for _, name := range orphans {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove orphan blob: %w", err)
			}
			removed++
		}
	}
	if removed > 0 || len(tmps) > 0 {
		s.log.Info("storage: collected files no index entry references", "orphan_blobs_removed", removed, "temp_files_removed", len(tmps))
	}
	return nil
}

// newID returns a fresh opaque blob id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // documented never to fail
	return hex.EncodeToString(b[:])
}

func (s *Store) blobPath(id string) string {
	return filepath.Join(s.blobDir, id[:2], id)
}

// validID guards against a corrupt index pointing outside the blob tree.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	return strings.Trim(id, "0123456789abcdef") == ""
}
