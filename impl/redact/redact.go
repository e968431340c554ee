// Package redact hides the secrets a URL can carry before it is logged or
// put into an error message: the password of its userinfo, and the values
// of the query parameters that authenticate a presigned request (SigV4's,
// SigV2's and the gateway's own signatures and credentials, and session
// tokens). Everything else is kept byte for byte, so the redacted URL still
// says where a request went.
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces each hidden value; it is what net/url's Redacted writes
// for a password.
const Mask = "xxxxx"

// sensitive lists, lower-cased, the query parameters whose values are
// hidden. Names are compared case-insensitively and after unescaping, so a
// spelling the gateway would accept is never logged in the clear.
var sensitive = map[string]bool{
	"x-amz-signature":      true,
	"x-amz-credential":     true,
	"x-amz-security-token": true,
	"x-gw-signature":       true,
	"x-gw-credential":      true,
	"signature":            true, // SigV2 query authentication
	"awsaccesskeyid":       true,
}

// URL returns raw with its userinfo password and its sensitive query values
// replaced by Mask. A URL net/url cannot parse is redacted more broadly,
// since where its userinfo ends is unclear: everything from its authority
// up to its last '@' is hidden.
func URL(raw string) string {
	if _, err := url.Parse(raw); err != nil {
		return unparsable(raw)
	}
	// As net/url does: the fragment goes first, then the query at the
	// first '?'; neither can hold the userinfo.
	rest, fragment, hasFragment := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	var b strings.Builder
	b.Grow(len(raw) + len(Mask))
	if i := authority(rest); i >= 0 {
		host := rest[i:]
		if end := strings.IndexByte(host, '/'); end >= 0 {
			host = host[:end]
		}
		// The userinfo ends at the authority's last '@'; its password
		// follows its first ':'.
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			if colon := strings.IndexByte(host[:at], ':'); colon >= 0 {
				b.WriteString(rest[:i+colon+1])
				b.WriteString(Mask)
				rest = rest[i+at:]
			}
		}
	}
	b.WriteString(rest)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(redactQuery(query))
	}
	if hasFragment {
		b.WriteByte('#')
		b.WriteString(fragment)
	}
	return b.String()
}

// authority returns where the authority of a parsable URL begins (after
// "scheme://" or a leading "//"), or -1 when it has none.
func authority(s string) int {
	if i := schemeEnd(s); i >= 0 {
		if strings.HasPrefix(s[i+1:], "//") {
			return i + 3
		}
		return -1
	}
	// No scheme: net/url reads "//host/path" as having an authority, but
	// not "///path".
	if strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "///") {
		return 2
	}
	return -1
}

// schemeEnd returns the index of the ':' that ends s's scheme, or -1 when
// s does not begin with one (a letter, then letters, digits, '+', '-' or
// '.').
func schemeEnd(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return -1
			}
		case c == ':' && i > 0:
			return i
		default:
			return -1
		}
	}
	return -1
}

// unparsable hides, in a URL net/url refuses, everything between its
// "//" (or its start) and its last '@', and the sensitive query values of
// what follows.
func unparsable(raw string) string {
	start := 0
	if i := strings.Index(raw, "//"); i >= 0 {
		start = i + 2
	}
	if at := strings.LastIndexByte(raw, '@'); at >= start {
		raw = raw[:start] + Mask + raw[at:]
	}
	if rest, query, ok := strings.Cut(raw, "?"); ok {
		return rest + "?" + redactQuery(query)
	}
	return raw
}

// redactQuery returns a raw query string with the values of its sensitive
// parameters replaced by Mask, and every other byte as it was.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if !hasValue {
			continue
		}
		key := name
		if k, err := url.QueryUnescape(name); err == nil {
			key = k
		}
		if sensitive[strings.ToLower(key)] {
			parts[i] = name + "=" + Mask
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}
