package storage

import (
	"fmt"
	"strings"
	"time"
)

// ReadOptions are what a GET or HEAD asks of an object, passed down whole so
// that a backend decides them in one call.
type ReadOptions struct {
	ReadConditions
	// Range selects bytes of the object; nil reads it whole.
	Range *RangeSpec
	// PartNumber, when positive, selects one part of a multipart object
	// (part 1 of an object written in one piece is the object).
	PartNumber int
	// SkipChecksums says the caller shows none of the object's checksums
	// (a GET or HEAD without x-amz-checksum-mode): a backend that keeps
	// them apart from the object may leave them out of the info rather
	// than fetch them.
	SkipChecksums bool
}

// ReadConditions are a read's preconditions, as the client sent them: ETag
// lists (quoted or not, "*" for any) and HTTP dates. A date that does not
// parse is ignored, as HTTP says.
type ReadConditions struct {
	IfMatch, IfNoneMatch               string
	IfModifiedSince, IfUnmodifiedSince time.Time
}

// RangeSpec is one bytes range of a Range header: First-Last (Last < 0 for
// an open end) or, when Suffix is set, the last Suffix bytes.
type RangeSpec struct {
	First, Last int64
	Suffix      int64
	IsSuffix    bool
}

// Section is what a read selected: Length bytes from Start. Partial is set
// when the answer is a 206 (a range, or a part); PartsCount, for a read by
// part number, is the object's number of parts.
type Section struct {
	Start, Length int64
	Partial       bool
	PartsCount    int
}

// ConditionError refuses a read whose conditions do not hold: its Err is
// ErrPreconditionFailed or ErrNotModified, and it names the object's
// validators, which a 304 answer repeats.
type ConditionError struct {
	Err          error
	ETag         string
	LastModified time.Time
}

func (e *ConditionError) Error() string { return e.Err.Error() }
func (e *ConditionError) Unwrap() error { return e.Err }

// RangeError refuses a range that selects nothing of an object of Size
// bytes; the answer names the size (Content-Range: bytes */Size).
type RangeError struct{ Size int64 }

func (e *RangeError) Error() string {
	return fmt.Sprintf("%v (object of %d bytes)", ErrInvalidRange, e.Size)
}
func (e *RangeError) Unwrap() error { return ErrInvalidRange }

// CheckRead evaluates read conditions against an object's validators in the
// order RFC 9110 gives, which is also S3's: If-Match, else
// If-Unmodified-Since, may fail the read; then If-None-Match, else
// If-Modified-Since, may make it "not modified". Dates compare at the
// one-second resolution of Last-Modified.
func CheckRead(c ReadConditions, etag string, modified time.Time) error {
	mod := modified.Truncate(time.Second)
	fail := func(err error) error { return &ConditionError{Err: err, ETag: etag, LastModified: modified} }
	if c.IfMatch != "" {
		if !ETagMatches(c.IfMatch, etag) {
			return fail(ErrPreconditionFailed)
		}
	} else if !c.IfUnmodifiedSince.IsZero() && mod.After(c.IfUnmodifiedSince) {
		return fail(ErrPreconditionFailed)
	}
	if c.IfNoneMatch != "" {
		if ETagMatches(c.IfNoneMatch, etag) {
			return fail(ErrNotModified)
		}
	} else if !c.IfModifiedSince.IsZero() && !mod.After(c.IfModifiedSince) {
		return fail(ErrNotModified)
	}
	return nil
}

// ETagMatches reports whether an If-Match / If-None-Match list names etag
// (unquoted). "*" matches any existing object; weak validators compare by
// their opaque value.
func ETagMatches(list, etag string) bool {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "*" {
			return true
		}
		item = strings.TrimPrefix(item, "W/")
		if strings.Trim(item, `"`) == etag {
			return true
		}
	}
	return false
}

// SelectSection decides a read of an object of info.Size bytes: its
// conditions first, then its range or part. parts lists the sizes of a
// multipart object's parts in order and is nil for an object written in one
// piece, which is its own part 1.
func SelectSection(info ObjectInfo, parts []PartRef, opts ReadOptions) (Section, error) {
	if err := CheckRead(opts.ReadConditions, info.ETag, info.LastModified); err != nil {
		return Section{}, err
	}
	whole := Section{Length: info.Size}
	switch {
	case opts.PartNumber > 0:
		return selectPart(info.Size, parts, opts.PartNumber)
	case opts.Range != nil:
		return selectRange(info.Size, *opts.Range)
	}
	return whole, nil
}

// PartRef is one part of a multipart object.
type PartRef struct {
	Number int
	Size   int64
}

func selectPart(size int64, parts []PartRef, n int) (Section, error) {
	if parts == nil {
		if n != 1 {
			return Section{}, ErrInvalidPartNumber
		}
		return Section{Length: size, Partial: size > 0, PartsCount: 1}, nil
	}
	var off int64
	for _, p := range parts {
		if p.Number == n {
			return Section{Start: off, Length: p.Size, Partial: p.Size > 0, PartsCount: len(parts)}, nil
		}
		off += p.Size
	}
	return Section{}, ErrInvalidPartNumber
}

func selectRange(size int64, r RangeSpec) (Section, error) {
	if r.IsSuffix {
		switch {
		case r.Suffix == 0:
			return Section{}, &RangeError{Size: size}
		case size == 0:
			// The suffix of an empty object is the empty object, sent
			// whole (apache/arrow-rs-object-store#846 shows S3's 200).
			return Section{}, nil
		}
		n := min(r.Suffix, size)
		return Section{Start: size - n, Length: n, Partial: true}, nil
	}
	if r.Last >= 0 && r.Last < r.First {
		return Section{Length: size}, nil // not a valid range: ignored, as HTTP says
	}
	if r.First >= size {
		return Section{}, &RangeError{Size: size}
	}
	last := size - 1
	if r.Last >= 0 {
		last = min(r.Last, size-1)
	}
	return Section{Start: r.First, Length: last - r.First + 1, Partial: true}, nil
}
