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
//	blobs/<id>                -> "" (every blob file an object or part references)
//	uploads/<name>/<key,id>   -> uploadRecord (ordered by key, then age)
//	parts/<id>/<number>       -> partRecord
//	done/<name>/<key,id>      -> doneRecord (uploads completed or aborted lately,
//	                             so that a retry gets the first answer)
//	meta/clean                -> "1" after a clean shutdown
package fs

import (
	"context"
	"crypto/rand"
	"encoding/binary"
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
	bktUploads = []byte("uploads")
	bktParts   = []byte("parts")
	bktDone    = []byte("done")
	bktConfigs = []byte("configs") // per bucket: configuration documents by name
	keyClean   = []byte("clean")
)

// Options configures a Store.
type Options struct {
	// DataDir holds the blob tree and the temp files of writes in progress.
	DataDir string
	// MultipartDir holds the blobs of uploaded parts. A completed upload
	// keeps its parts there as the object's bytes: completion copies
	// nothing. Empty means a "multipart" directory inside DataDir.
	MultipartDir string
	// UploadMaxAge, when positive, aborts uploads older than this in the
	// background, and forgets uploads finished longer ago than this (until
	// then a repeated Complete or Abort gets the first answer).
	UploadMaxAge time.Duration
	// InlineMaxBytes is the size up to which an object's bytes are kept in
	// the index itself rather than in a file of their own (0: never). A
	// small PUT then costs one shared index commit instead of a file
	// write, a file fsync, a rename and a directory fsync.
	InlineMaxBytes int64
	// MetaFile is the bbolt index.
	MetaFile string
	// Fsync makes every acknowledged write durable (file, directory and
	// index). Turning it off trades crash safety for speed.
	Fsync  bool
	Logger *slog.Logger
}

// Store is the embedded backend. It is safe for concurrent use.
type Store struct {
	db    *bolt.DB
	data  root // objects written in one piece
	parts root // parts of multipart uploads, and objects made of them
	fsync bool
	log   *slog.Logger

	inlineMax int64

	commits chan *commit
	done    chan struct{}

	mu     sync.RWMutex // guards closed against sends on commits
	closed bool
	stop   chan struct{} // closed by Close: background work ends
	bg     sync.WaitGroup

	pins pinSet

	batches atomic.Int64 // index commits made, for tests and metrics

	// leaked is set when a blob could not be removed: the next start must
	// scan for orphans even after a clean shutdown.
	leaked atomic.Bool
}

var _ storage.Backend = (*Store)(nil)

// Open opens (or creates) the store and collects garbage left by a crash.
func Open(opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MultipartDir == "" {
		opts.MultipartDir = filepath.Join(opts.DataDir, "multipart")
	}
	s := &Store{
		data:      root{blobs: filepath.Join(opts.DataDir, "blobs"), tmp: filepath.Join(opts.DataDir, "tmp")},
		parts:     root{blobs: filepath.Join(opts.MultipartDir, "blobs"), tmp: filepath.Join(opts.MultipartDir, "tmp"), prefix: partPrefix},
		fsync:     opts.Fsync,
		log:       opts.Logger,
		inlineMax: opts.InlineMaxBytes,
		commits:   make(chan *commit, 256),
		done:      make(chan struct{}),
		stop:      make(chan struct{}),
	}
	s.pins.init()
	if err := os.MkdirAll(filepath.Dir(opts.MetaFile), 0o750); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(opts.MetaFile), err)
	}
	for _, r := range []root{s.data, s.parts} {
		if err := r.create(); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(opts.MetaFile, 0o600, &bolt.Options{
		Timeout:        2 * time.Second,
		NoSync:         !opts.Fsync,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		// Map generously up front: growing the map blocks every reader.
		InitialMmapSize: 1 << 30,
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
		for _, name := range [][]byte{bktBuckets, bktObjects, bktBlobs, bktMeta, bktUploads, bktParts, bktDone, bktConfigs} {
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
	if opts.UploadMaxAge > 0 {
		s.bg.Add(1)
		go s.collectUploadsLoop(opts.UploadMaxAge)
	}
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
	close(s.stop)
	s.mu.Unlock()
	s.bg.Wait()
	s.mu.Lock()
	close(s.commits)
	s.mu.Unlock()
	<-s.done
	var err error
	if s.pins.anyDoomed() || s.leaked.Load() {
		// Blobs still pinned by readers that outlived the shutdown, or
		// whose removal failed: leave the store marked unclean so the
		// next start collects them.
		s.log.Warn("storage: closing with blobs left to collect at the next start")
	} else {
		err = s.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bktMeta).Put(keyClean, []byte("1"))
		})
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Commits returns how many group commits the index has made.
func (s *Store) Commits() int64 { return s.batches.Load() }

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
	f, err := os.CreateTemp(s.data.tmp, "probe-")
	if err != nil {
		return fmt.Errorf("data dir not writable: %w", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// collectGarbage empties the temp dirs and, after an unclean shutdown,
// removes every blob the index does not reference. It runs before the store
// serves.
func (s *Store) collectGarbage(scanBlobs bool) error {
	tmps, removed := 0, 0
	for _, r := range []root{s.data, s.parts} {
		n, err := r.clearTemp()
		if err != nil {
			return err
		}
		tmps += n
		if !scanBlobs {
			continue
		}
		if n, err = s.removeOrphans(r); err != nil {
			return err
		}
		removed += n
	}
	if removed > 0 || tmps > 0 {
		s.log.Info("storage: collected files no index entry references", "orphan_blobs_removed", removed, "temp_files_removed", tmps)
	}
	return nil
}

// removeOrphans removes the blobs of a root that the index does not
// reference, one fan-out directory at a time.
func (s *Store) removeOrphans(r root) (int, error) {
	removed := 0
	dirs, err := os.ReadDir(r.blobs)
	if err != nil {
		return 0, fmt.Errorf("read blob dir: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(r.blobs, d.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return removed, fmt.Errorf("read blob dir: %w", err)
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
			return removed, fmt.Errorf("scan blobs: %w", err)
		}
		for _, name := range orphans {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return removed, fmt.Errorf("remove orphan blob: %w", err)
			}
			removed++
		}
	}
	return removed, nil
}

// A root is a blob tree with its temp dir. Blob ids carry their root's
// prefix, so an id alone locates its file.
type root struct {
	blobs, tmp string
	prefix     string
}

// Id prefixes: blobs in the multipart root, and blobs kept inline in the
// index (their bytes are the tail of their object's entry).
const (
	partPrefix   = "p"
	inlinePrefix = "i"
)

func isInline(id string) bool { return strings.HasPrefix(id, inlinePrefix) }

func (r root) create() error {
	for _, d := range []string{r.blobs, r.tmp} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	for i := 0; i < 256; i++ {
		if err := os.MkdirAll(filepath.Join(r.blobs, fmt.Sprintf("%02x", i)), 0o750); err != nil {
			return fmt.Errorf("create blob dir: %w", err)
		}
	}
	return nil
}

func (r root) clearTemp() (int, error) {
	tmps, err := os.ReadDir(r.tmp)
	if err != nil {
		return 0, fmt.Errorf("read temp dir: %w", err)
	}
	for _, e := range tmps {
		if err := os.RemoveAll(filepath.Join(r.tmp, e.Name())); err != nil {
			return 0, fmt.Errorf("remove temp file: %w", err)
		}
	}
	return len(tmps), nil
}

// newID returns a fresh opaque blob id in root r. Ids begin with the time,
// so new entries of the blobs bucket land at its end: a commit then dirties
// a page or two of that index rather than one page per write.
func (r root) newID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixNano()))
	_, _ = rand.Read(b[8:]) // documented never to fail
	return r.prefix + hex.EncodeToString(b[:])
}

func (s *Store) rootOf(id string) root {
	if strings.HasPrefix(id, partPrefix) {
		return s.parts
	}
	return s.data
}

func (s *Store) blobPath(id string) string {
	hexID := id[len(id)-32:]
	return filepath.Join(s.rootOf(id).blobs, hexID[:2], id)
}

// validID guards against a corrupt index pointing outside the blob trees.
func validID(id string) bool {
	if len(id) == 33 && (id[:1] == partPrefix || id[:1] == inlinePrefix) {
		id = id[1:]
	}
	if len(id) != 32 {
		return false
	}
	return strings.Trim(id, "0123456789abcdef") == ""
}
