package storage

import "io"

// HoldBack returns a reader over body that withholds its last byte until
// body has ended cleanly (io.EOF with no error before it). A backend that
// forwards a write to another store with a declared length reads from it:
// when the API layer's verification fails at the end of the body, the
// other store has received one byte less than declared and keeps nothing,
// which is how a remote backend honours the commit rule of Backend.
func HoldBack(body io.Reader) io.Reader {
	return &holdBack{r: body}
}

type holdBack struct {
	r     io.Reader
	last  byte
	held  bool
	ahead [1]byte // a look ahead for reads that have room for the held byte only
	err   error   // sticky: io.EOF after a clean end, or the body's error
}

func (h *holdBack) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for h.err == nil {
		// Read into p after the held byte, then hold back the new last
		// one. When p has room for the held byte only, read one byte
		// ahead: the held byte may go once another follows it.
		off := 0
		if h.held {
			p[0], off = h.last, 1
		}
		dst := p[off:]
		if len(dst) == 0 {
			dst = h.ahead[:]
		}
		n, err := h.r.Read(dst)
		if err != nil && err != io.EOF {
			// Deliver nothing more: the held byte never leaves.
			h.err, h.held = err, false
			return 0, err
		}
		if err == io.EOF {
			h.err = io.EOF
		}
		switch {
		case n == 0:
			continue
		case len(p) == off:
			h.last = h.ahead[0] // p[0], the byte held before, goes
			return 1, nil
		}
		total := off + n
		h.last, h.held = p[total-1], true
		if total > 1 {
			return total - 1, nil
		}
	}
	if h.err == io.EOF && h.held {
		h.held = false
		p[0] = h.last
		return 1, nil
	}
	return 0, h.err
}
