package storage

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var errEnd = errors.New("verification failed at the end")

// tail returns data, then err instead of io.EOF: on the read after the
// data, or with its last bytes when together is set.
type tail struct {
	data     string
	err      error
	together bool
}

func (t *tail) Read(p []byte) (int, error) {
	if t.data == "" {
		return 0, t.err
	}
	n := copy(p, t.data)
	t.data = t.data[n:]
	if t.together && t.data == "" {
		return n, t.err
	}
	return n, nil
}

// stingy answers a read with no bytes and no error now and then, which an
// io.Reader may do.
type stingy struct {
	r    io.Reader
	skip bool
}

func (s *stingy) Read(p []byte) (int, error) {
	s.skip = !s.skip
	if s.skip {
		return 0, nil
	}
	return s.r.Read(p)
}

// consume reads r to its end in reads of at most size bytes, failing the
// test if that takes long: a reader that stops making progress spins.
func consume(t *testing.T, r io.Reader, size int) (string, error) {
	t.Helper()
	type result struct {
		got string
		err error
	}
	done := make(chan result, 1)
	go func() {
		var out []byte
		buf := make([]byte, size)
		for {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				done <- result{string(out), err}
				return
			}
		}
	}()
	select {
	case res := <-done:
		return res.got, res.err
	case <-time.After(10 * time.Second):
		t.Fatalf("reading in %d-byte reads does not end", size)
		return "", nil
	}
}

func TestHoldBack(t *testing.T) {
	const body = "the body of a write"
	for _, c := range []struct {
		name string
		body func() io.Reader
		want string
		err  error
	}{
		{"clean end", func() io.Reader { return strings.NewReader(body) }, body, nil},
		{"clean end with the last bytes", func() io.Reader { return iotest.DataErrReader(strings.NewReader(body)) }, body, nil},
		{"one byte a read", func() io.Reader { return iotest.OneByteReader(strings.NewReader(body)) }, body, nil},
		{"empty reads between", func() io.Reader { return &stingy{r: strings.NewReader(body)} }, body, nil},
		{"one byte", func() io.Reader { return strings.NewReader("x") }, "x", nil},
		{"empty", func() io.Reader { return strings.NewReader("") }, "", nil},
		{"error instead of EOF", func() io.Reader { return &tail{data: body, err: errEnd} }, body[:len(body)-1], errEnd},
		{"error with the last bytes", func() io.Reader { return &tail{data: body, err: errEnd, together: true} }, "", errEnd},
		{"error one byte a read", func() io.Reader { return iotest.OneByteReader(&tail{data: body, err: errEnd}) }, body[:len(body)-1], errEnd},
		{"error after one byte", func() io.Reader { return &tail{data: "x", err: errEnd} }, "", errEnd},
		{"error at once", func() io.Reader { return iotest.ErrReader(errEnd) }, "", errEnd},
		{"timeout midway", func() io.Reader { return iotest.TimeoutReader(strings.NewReader(body)) }, "", iotest.ErrTimeout},
	} {
		for _, size := range []int{1, 2, 3, 7, 512} {
			got, err := consume(t, HoldBack(c.body()), size)
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Errorf("%s, %d-byte reads: error %v, want %v", c.name, size, err, c.err)
			}
			if c.err == nil && got != c.want {
				t.Errorf("%s, %d-byte reads: got %q, want %q", c.name, size, got, c.want)
			}
			// The bytes delivered before a failure never include the
			// last one: a store that receives a declared length then
			// refuses the body.
			if c.err != nil && (len(got) >= len(body) || !strings.HasPrefix(body, got)) {
				t.Errorf("%s, %d-byte reads: delivered %q of %q before the error", c.name, size, got, body)
			}
		}
	}
}

// TestHoldBackSticky: after the end, every read answers the same.
func TestHoldBackSticky(t *testing.T) {
	for _, c := range []struct {
		body io.Reader
		want error
	}{
		{strings.NewReader("ab"), io.EOF},
		{&tail{data: "ab", err: errEnd}, errEnd},
	} {
		h := HoldBack(c.body)
		if _, err := io.ReadAll(h); err != nil && !errors.Is(err, c.want) {
			t.Fatal(err)
		}
		for range 3 {
			if n, err := h.Read(make([]byte, 4)); n != 0 || err != c.want {
				t.Errorf("read after the end: %d, %v; want 0, %v", n, err, c.want)
			}
		}
		if n, err := h.Read(nil); n != 0 || err != nil {
			t.Errorf("empty read: %d, %v", n, err)
		}
	}
}

// TestHoldBackIsAReader: iotest.TestReader's checks of the io.Reader
// contract, on a clean body.
func TestHoldBackIsAReader(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	if err := iotest.TestReader(HoldBack(strings.NewReader(body)), []byte(body)); err != nil {
		t.Fatal(err)
	}
}
