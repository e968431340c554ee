package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/s3gw/gateway/impl/storage"
)

// readCase is one read of key with opts: the section it selects and its
// bytes, or the error it gets.
type readCase struct {
	key   string
	opts  storage.ReadOptions
	sec   storage.Section
	bytes string
	err   error
}

// checkRead runs c through OpenObject and StatObject, which must agree.
// For a refusal it returns the error OpenObject gave.
func (e *env) checkRead(c readCase, whole storage.ObjectInfo) error {
	e.t.Helper()
	t := e.t
	o, oerr := e.b.OpenObject(e.ctx, bucket, c.key, c.opts)
	info, sec, serr := e.b.StatObject(e.ctx, bucket, c.key, c.opts)
	if !is(oerr, c.err) || !is(serr, c.err) {
		t.Errorf("OpenObject: %v, StatObject: %v; want %v", oerr, serr, c.err)
	}
	if oerr != nil {
		return oerr
	}
	defer o.Close()
	if o.Section() != c.sec {
		t.Errorf("OpenObject section %+v, want %+v", o.Section(), c.sec)
	}
	if serr == nil && sec != o.Section() {
		t.Errorf("StatObject section %+v, OpenObject's %+v", sec, o.Section())
	}
	// The info describes the whole object, whatever the read selected.
	if d := infoDiff(o.Info(), whole, true); d != "" {
		t.Errorf("OpenObject info: %s", d)
	}
	if d := infoDiff(info, whole, true); serr == nil && d != "" {
		t.Errorf("StatObject info: %s", d)
	}
	if got := e.read(o); got != c.bytes {
		t.Errorf("read %q, want %q", got, c.bytes)
	}
	return nil
}

// testReadConditions: a read's preconditions are decided in the read, in
// RFC 9110's order, before its range; a refusal names the validators.
func testReadConditions(e *env) {
	const body = "0123456789"
	info := e.put("k", body, storage.PutOptions{})
	etag, sec, hour := info.ETag, info.LastModified.Truncate(time.Second), time.Hour
	other := `"` + md5hex("other") + `"`
	type rc = storage.ReadConditions
	for _, c := range []struct {
		name string
		c    rc
		want error
	}{
		{"If-Match", rc{IfMatch: etag}, nil},
		{"If-Match quoted", rc{IfMatch: `"` + etag + `"`}, nil},
		{"If-Match in a list", rc{IfMatch: other + `, "` + etag + `"`}, nil},
		{"If-Match *", rc{IfMatch: "*"}, nil},
		{"If-Match of another ETag", rc{IfMatch: other}, storage.ErrPreconditionFailed},
		{"If-None-Match", rc{IfNoneMatch: `"` + etag + `"`}, storage.ErrNotModified},
		{"If-None-Match *", rc{IfNoneMatch: "*"}, storage.ErrNotModified},
		{"If-None-Match of another ETag", rc{IfNoneMatch: other}, nil},
		{"If-Modified-Since earlier", rc{IfModifiedSince: sec.Add(-hour)}, nil},
		{"If-Modified-Since the same second", rc{IfModifiedSince: sec}, storage.ErrNotModified},
		{"If-Modified-Since later", rc{IfModifiedSince: sec.Add(hour)}, storage.ErrNotModified},
		{"If-Unmodified-Since earlier", rc{IfUnmodifiedSince: sec.Add(-hour)}, storage.ErrPreconditionFailed},
		{"If-Unmodified-Since the same second", rc{IfUnmodifiedSince: sec}, nil},
		{"If-Unmodified-Since later", rc{IfUnmodifiedSince: sec.Add(hour)}, nil},
		{"If-Match overrides If-Unmodified-Since", rc{IfMatch: etag, IfUnmodifiedSince: sec.Add(-hour)}, nil},
		{"If-None-Match overrides If-Modified-Since", rc{IfNoneMatch: other, IfModifiedSince: sec.Add(hour)}, nil},
		{"If-Match fails before If-None-Match", rc{IfMatch: other, IfNoneMatch: etag}, storage.ErrPreconditionFailed},
		{"If-Unmodified-Since fails before If-Modified-Since", rc{IfUnmodifiedSince: sec.Add(-hour), IfModifiedSince: sec.Add(hour)}, storage.ErrPreconditionFailed},
	} {
		e.t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			rcase := readCase{key: "k", opts: storage.ReadOptions{ReadConditions: c.c}, sec: storage.Section{Length: 10}, bytes: body, err: c.want}
			err := e.checkRead(rcase, info)
			if err == nil {
				return
			}
			var ce *storage.ConditionError
			if !errors.As(err, &ce) {
				t.Fatalf("refusal %v (%T) is not a *storage.ConditionError", err, err)
			}
			if ce.ETag != etag || !sameSecond(ce.LastModified, info.LastModified) {
				t.Errorf("ConditionError names ETag %s, Last-Modified %v; want %s, %v", ce.ETag, ce.LastModified, etag, info.LastModified)
			}
		})
	}
	e.t.Run("conditions before the range and the part", func(t *testing.T) {
		e := e.at(t)
		for _, opts := range []storage.ReadOptions{
			{ReadConditions: rc{IfNoneMatch: etag}, Range: &storage.RangeSpec{First: 100, Last: -1}},
			{ReadConditions: rc{IfMatch: other}, PartNumber: 7},
		} {
			if _, _, err := e.b.StatObject(e.ctx, bucket, "k", opts); !errors.Is(err, storage.ErrNotModified) && !errors.Is(err, storage.ErrPreconditionFailed) {
				t.Errorf("StatObject(%+v): %v, want the condition's refusal", opts.ReadConditions, err)
			}
		}
	})
	e.t.Run("missing key", func(t *testing.T) {
		e := e.at(t)
		opts := storage.ReadOptions{ReadConditions: rc{IfMatch: "*"}}
		if _, err := e.b.OpenObject(e.ctx, bucket, "nope", opts); !errors.Is(err, storage.ErrNoSuchKey) {
			t.Errorf("OpenObject of a missing key with If-Match: %v, want ErrNoSuchKey", err)
		}
		if _, _, err := e.b.StatObject(e.ctx, bucket, "nope", opts); !errors.Is(err, storage.ErrNoSuchKey) {
			t.Errorf("StatObject of a missing key with If-Match: %v, want ErrNoSuchKey", err)
		}
	})
}

// testRanges: a range selects bytes of the object; one that selects none
// is a *storage.RangeError naming the object's size.
func testRanges(e *env) {
	infos := map[string]storage.ObjectInfo{
		"k":     e.put("k", "0123456789", storage.PutOptions{}),
		"empty": e.put("empty", "", storage.PutOptions{}),
		"mp":    e.multipart("mp", storage.UploadOptions{}, "abc", "defg", "hi"),
	}
	rng := func(first, last int64) *storage.RangeSpec { return &storage.RangeSpec{First: first, Last: last} }
	suffix := func(n int64) *storage.RangeSpec { return &storage.RangeSpec{Suffix: n, IsSuffix: true} }
	part := func(start, n int64) storage.Section { return storage.Section{Start: start, Length: n, Partial: true} }
	for _, c := range []struct {
		name, key string
		r         *storage.RangeSpec
		sec       storage.Section
		bytes     string
		errSize   int64 // a RangeError's size, -1 for success
	}{
		{"none", "k", nil, storage.Section{Length: 10}, "0123456789", -1},
		{"first bytes", "k", rng(0, 4), part(0, 5), "01234", -1},
		{"one byte", "k", rng(0, 0), part(0, 1), "0", -1},
		{"last byte", "k", rng(9, 9), part(9, 1), "9", -1},
		{"whole, as a range", "k", rng(0, 9), part(0, 10), "0123456789", -1},
		{"open end", "k", rng(5, -1), part(5, 5), "56789", -1},
		{"end beyond the size", "k", rng(8, 100), part(8, 2), "89", -1},
		{"suffix", "k", suffix(3), part(7, 3), "789", -1},
		{"suffix of the size", "k", suffix(10), part(0, 10), "0123456789", -1},
		{"suffix beyond the size", "k", suffix(100), part(0, 10), "0123456789", -1},
		{"start at the size", "k", rng(10, -1), storage.Section{}, "", 10},
		{"start beyond the size", "k", rng(20, 30), storage.Section{}, "", 10},
		{"empty suffix", "k", suffix(0), storage.Section{}, "", 10},
		{"empty object, none", "empty", nil, storage.Section{}, "", -1},
		{"empty object, first byte", "empty", rng(0, -1), storage.Section{}, "", 0},
		{"empty object, suffix is the whole object", "empty", suffix(5), storage.Section{}, "", -1},
		{"multipart, across parts", "mp", rng(2, 7), part(2, 6), "cdefgh", -1},
		{"multipart, suffix", "mp", suffix(4), part(5, 4), "fghi", -1},
		{"multipart, one part's bytes", "mp", rng(3, 6), part(3, 4), "defg", -1},
	} {
		e.t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			var want error
			if c.errSize >= 0 {
				want = storage.ErrInvalidRange
			}
			err := e.checkRead(readCase{key: c.key, opts: storage.ReadOptions{Range: c.r}, sec: c.sec, bytes: c.bytes, err: want}, infos[c.key])
			if err == nil {
				return
			}
			var re *storage.RangeError
			if !errors.As(err, &re) || re.Size != c.errSize {
				t.Errorf("refusal %v (%T), want a *storage.RangeError of size %d", err, err, c.errSize)
			}
		})
	}
}

// testPartNumbers: a part number selects a part of a multipart object, or
// the whole of an object written in one piece as its part 1.
func testPartNumbers(e *env) {
	infos := map[string]storage.ObjectInfo{
		"mp":    e.multipart("mp", storage.UploadOptions{}, "aaaa", "bbbbb", "cc"),
		"k":     e.put("k", "hello", storage.PutOptions{}),
		"empty": e.put("empty", "", storage.PutOptions{}),
	}
	if n := infos["mp"].PartsCount; n != 3 {
		e.t.Errorf("multipart object's PartsCount %d, want 3", n)
	}
	sec := func(start, n int64, count int) storage.Section {
		return storage.Section{Start: start, Length: n, Partial: n > 0, PartsCount: count}
	}
	for _, c := range []struct {
		name, key string
		n         int
		sec       storage.Section
		bytes     string
		err       error
	}{
		{"first part", "mp", 1, sec(0, 4, 3), "aaaa", nil},
		{"middle part", "mp", 2, sec(4, 5, 3), "bbbbb", nil},
		{"last part", "mp", 3, sec(9, 2, 3), "cc", nil},
		{"beyond the parts", "mp", 4, storage.Section{}, "", storage.ErrInvalidPartNumber},
		{"one piece, part 1", "k", 1, sec(0, 5, 1), "hello", nil},
		{"one piece, part 2", "k", 2, storage.Section{}, "", storage.ErrInvalidPartNumber},
		{"empty object, part 1", "empty", 1, sec(0, 0, 1), "", nil},
	} {
		e.t.Run(c.name, func(t *testing.T) {
			e.at(t).checkRead(readCase{key: c.key, opts: storage.ReadOptions{PartNumber: c.n}, sec: c.sec, bytes: c.bytes, err: c.err}, infos[c.key])
		})
	}
}
