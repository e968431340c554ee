package storage

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestETagMatches(t *testing.T) {
	const etag = "0123abcd"
	for _, c := range []struct {
		list string
		want bool
	}{
		{"0123abcd", true},
		{`"0123abcd"`, true},
		{`W/"0123abcd"`, true},
		{"*", true},
		{`"other", "0123abcd"`, true},
		{`"other","0123abcd"`, true},
		{`  "0123abcd"  `, true},
		{`"other", *`, true},
		{`"other"`, false},
		{`"0123abcd-2"`, false},
		{`"0123ABCD"`, false}, // ETags compare exactly
		{`"0123abc"`, false},
		{"", false},
		{",", false},
	} {
		if got := ETagMatches(c.list, etag); got != c.want {
			t.Errorf("ETagMatches(%q, %q) = %v, want %v", c.list, etag, got, c.want)
		}
	}
}

func TestCheckRead(t *testing.T) {
	const etag = "0123abcd"
	// Half a second past 12:00:00: dates compare at the second.
	mod := time.Date(2024, 5, 1, 12, 0, 0, 5e8, time.UTC)
	sec := mod.Truncate(time.Second)
	other := `"other"`
	for _, c := range []struct {
		name string
		c    ReadConditions
		want error
	}{
		{"none", ReadConditions{}, nil},
		{"If-Match", ReadConditions{IfMatch: etag}, nil},
		{"If-Match *", ReadConditions{IfMatch: "*"}, nil},
		{"If-Match fails", ReadConditions{IfMatch: other}, ErrPreconditionFailed},
		{"If-None-Match", ReadConditions{IfNoneMatch: other}, nil},
		{"If-None-Match fails", ReadConditions{IfNoneMatch: `"` + etag + `"`}, ErrNotModified},
		{"If-None-Match * fails", ReadConditions{IfNoneMatch: "*"}, ErrNotModified},
		{"If-Modified-Since the second before", ReadConditions{IfModifiedSince: sec.Add(-time.Second)}, nil},
		{"If-Modified-Since the same second", ReadConditions{IfModifiedSince: sec}, ErrNotModified},
		{"If-Modified-Since later", ReadConditions{IfModifiedSince: sec.Add(time.Hour)}, ErrNotModified},
		{"If-Unmodified-Since the second before", ReadConditions{IfUnmodifiedSince: sec.Add(-time.Second)}, ErrPreconditionFailed},
		{"If-Unmodified-Since the same second", ReadConditions{IfUnmodifiedSince: sec}, nil},
		{"If-Unmodified-Since later", ReadConditions{IfUnmodifiedSince: sec.Add(time.Hour)}, nil},
		// RFC 9110 section 13.2.2: If-Match, else If-Unmodified-Since;
		// then If-None-Match, else If-Modified-Since.
		{"If-Match overrides If-Unmodified-Since", ReadConditions{IfMatch: etag, IfUnmodifiedSince: sec.Add(-time.Hour)}, nil},
		{"If-Match fails despite If-Unmodified-Since", ReadConditions{IfMatch: other, IfUnmodifiedSince: sec.Add(time.Hour)}, ErrPreconditionFailed},
		{"If-None-Match overrides If-Modified-Since", ReadConditions{IfNoneMatch: other, IfModifiedSince: sec.Add(time.Hour)}, nil},
		{"If-None-Match fails despite If-Modified-Since", ReadConditions{IfNoneMatch: etag, IfModifiedSince: sec.Add(-time.Hour)}, ErrNotModified},
		{"If-Match and If-None-Match fail: precondition first", ReadConditions{IfMatch: other, IfNoneMatch: etag}, ErrPreconditionFailed},
		{"If-Match holds, If-None-Match fails", ReadConditions{IfMatch: etag, IfNoneMatch: etag}, ErrNotModified},
		{"If-Match holds, If-Modified-Since fails", ReadConditions{IfMatch: etag, IfModifiedSince: sec}, ErrNotModified},
		{"both dates fail: precondition first", ReadConditions{IfUnmodifiedSince: sec.Add(-time.Hour), IfModifiedSince: sec.Add(time.Hour)}, ErrPreconditionFailed},
	} {
		err := CheckRead(c.c, etag, mod)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		if err == nil {
			continue
		}
		var ce *ConditionError
		if !errors.As(err, &ce) || ce.ETag != etag || !ce.LastModified.Equal(mod) || ce.Error() != c.want.Error() {
			t.Errorf("%s: %#v, want a ConditionError naming the validators", c.name, err)
		}
	}
}

func TestSelectSection(t *testing.T) {
	mod := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	obj := ObjectInfo{Size: 10, ETag: "e", LastModified: mod}
	empty := ObjectInfo{Size: 0, ETag: "z", LastModified: mod}
	mp := ObjectInfo{Size: 12, ETag: "m-3", LastModified: mod, PartsCount: 3}
	mpParts := []PartRef{{1, 5}, {2, 5}, {3, 2}}
	gaps := []PartRef{{1, 4}, {7, 4}}
	rng := func(first, last int64) *RangeSpec { return &RangeSpec{First: first, Last: last} }
	suffix := func(n int64) *RangeSpec { return &RangeSpec{Suffix: n, IsSuffix: true} }
	partial := func(start, n int64) Section { return Section{Start: start, Length: n, Partial: true} }
	part := func(start, n int64, count int) Section {
		return Section{Start: start, Length: n, Partial: n > 0, PartsCount: count}
	}
	for _, c := range []struct {
		name  string
		info  ObjectInfo
		parts []PartRef
		opts  ReadOptions
		want  Section
		err   error
		size  int64 // of a RangeError
	}{
		{"whole", obj, nil, ReadOptions{}, Section{Length: 10}, nil, 0},
		{"whole empty", empty, nil, ReadOptions{}, Section{}, nil, 0},
		{"range", obj, nil, ReadOptions{Range: rng(2, 4)}, partial(2, 3), nil, 0},
		{"range of one byte", obj, nil, ReadOptions{Range: rng(9, 9)}, partial(9, 1), nil, 0},
		{"range to the end", obj, nil, ReadOptions{Range: rng(0, 9)}, partial(0, 10), nil, 0},
		{"range past the end", obj, nil, ReadOptions{Range: rng(5, 50)}, partial(5, 5), nil, 0},
		{"open range", obj, nil, ReadOptions{Range: rng(3, -1)}, partial(3, 7), nil, 0},
		{"range at the size", obj, nil, ReadOptions{Range: rng(10, -1)}, Section{}, ErrInvalidRange, 10},
		{"range beyond the size", obj, nil, ReadOptions{Range: rng(11, 20)}, Section{}, ErrInvalidRange, 10},
		{"range of an empty object", empty, nil, ReadOptions{Range: rng(0, 0)}, Section{}, ErrInvalidRange, 0},
		{"suffix", obj, nil, ReadOptions{Range: suffix(4)}, partial(6, 4), nil, 0},
		{"suffix of the size", obj, nil, ReadOptions{Range: suffix(10)}, partial(0, 10), nil, 0},
		{"suffix beyond the size", obj, nil, ReadOptions{Range: suffix(11)}, partial(0, 10), nil, 0},
		{"empty suffix", obj, nil, ReadOptions{Range: suffix(0)}, Section{}, ErrInvalidRange, 10},
		{"suffix of an empty object", empty, nil, ReadOptions{Range: suffix(3)}, Section{}, nil, 0},
		{"empty suffix of an empty object", empty, nil, ReadOptions{Range: suffix(0)}, Section{}, ErrInvalidRange, 0},
		{"range of a multipart object", mp, mpParts, ReadOptions{Range: rng(4, 6)}, partial(4, 3), nil, 0},
		{"one piece, part 1", obj, nil, ReadOptions{PartNumber: 1}, part(0, 10, 1), nil, 0},
		{"one piece, part 2", obj, nil, ReadOptions{PartNumber: 2}, Section{}, ErrInvalidPartNumber, 0},
		{"empty, part 1", empty, nil, ReadOptions{PartNumber: 1}, part(0, 0, 1), nil, 0},
		{"part 1", mp, mpParts, ReadOptions{PartNumber: 1}, part(0, 5, 3), nil, 0},
		{"part 2", mp, mpParts, ReadOptions{PartNumber: 2}, part(5, 5, 3), nil, 0},
		{"last part", mp, mpParts, ReadOptions{PartNumber: 3}, part(10, 2, 3), nil, 0},
		{"part beyond the parts", mp, mpParts, ReadOptions{PartNumber: 4}, Section{}, ErrInvalidPartNumber, 0},
		{"parts keep their numbers", mp, gaps, ReadOptions{PartNumber: 7}, part(4, 4, 2), nil, 0},
		{"a number in a gap", mp, gaps, ReadOptions{PartNumber: 2}, Section{}, ErrInvalidPartNumber, 0},
		{"an empty part", mp, []PartRef{{1, 0}}, ReadOptions{PartNumber: 1}, part(0, 0, 1), nil, 0},
		{"conditions before the range", obj, nil, ReadOptions{ReadConditions: ReadConditions{IfNoneMatch: "*"}, Range: rng(50, -1)}, Section{}, ErrNotModified, 0},
		{"conditions before the part", obj, nil, ReadOptions{ReadConditions: ReadConditions{IfMatch: "x"}, PartNumber: 9}, Section{}, ErrPreconditionFailed, 0},
		{"conditions that hold, then the range", obj, nil, ReadOptions{ReadConditions: ReadConditions{IfMatch: "e"}, Range: rng(1, 1)}, partial(1, 1), nil, 0},
	} {
		got, err := SelectSection(c.info, c.parts, c.opts)
		if (c.err == nil) != (err == nil) || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
		if errors.Is(c.err, ErrInvalidRange) {
			var re *RangeError
			if !errors.As(err, &re) || re.Size != c.size {
				t.Errorf("%s: %#v, want a RangeError of size %d", c.name, err, c.size)
			}
		}
	}
}

func TestErrorTexts(t *testing.T) {
	re := &RangeError{Size: 42}
	if !strings.Contains(re.Error(), "42") || !errors.Is(re, ErrInvalidRange) {
		t.Errorf("RangeError %q", re)
	}
	ce := &ConditionError{Err: ErrNotModified, ETag: "e"}
	if ce.Error() != ErrNotModified.Error() || !errors.Is(ce, ErrNotModified) || errors.Is(ce, ErrPreconditionFailed) {
		t.Errorf("ConditionError %q", ce)
	}
}
