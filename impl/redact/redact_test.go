package redact

import (
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"kept byte for byte", "http://h/a%2Fb/%7e?x=a+b&y=%41#frag", "http://h/a%2Fb/%7e?x=a+b&y=%41#frag"},
		{"password", "https://user:s3cret@cp.example:8443/v1", "https://user:xxxxx@cp.example:8443/v1"},
		{"empty password", "http://user:@h/", "http://user:xxxxx@h/"},
		{"escaped password", "http://user:p%40ss%3Aw@h/", "http://user:xxxxx@h/"},
		{"'@' in the password", "http://user:p@ss@h/", "http://user:xxxxx@h/"},
		{"user only", "http://user@h/", "http://user@h/"},
		{"'@' in the path", "http://h/a@b:c", "http://h/a@b:c"},
		{"'@' and ':' in the query", "http://h/?u=a:b@c", "http://h/?u=a:b@c"},
		{"no scheme", "//user:pw@h/p", "//user:xxxxx@h/p"},
		{"a path, not an authority", "///user:pw@h/p", "///user:pw@h/p"},
		{"relative", "/s3/b/k?X-Amz-Signature=abc", "/s3/b/k?X-Amz-Signature=xxxxx"},
		{"sigv4 presigned", "https://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef",
			"https://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=xxxxx&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=xxxxx"},
		{"session token", "https://h/b/k?X-Amz-Security-Token=tok&versionId=3", "https://h/b/k?X-Amz-Security-Token=xxxxx&versionId=3"},
		{"gateway presigned", "http://gw/s3/b/k?X-Gw-Credential=key%3AAKID&X-Gw-Expires=1&X-Gw-Method=GET&X-Gw-Project=p&X-Gw-Signature=00ff",
			"http://gw/s3/b/k?X-Gw-Credential=xxxxx&X-Gw-Expires=1&X-Gw-Method=GET&X-Gw-Project=p&X-Gw-Signature=xxxxx"},
		{"sigv2 presigned", "http://h/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=abc%3D", "http://h/b/k?AWSAccessKeyId=xxxxx&Expires=1&Signature=xxxxx"},
		{"names in any case", "http://h/?x-amz-signature=a&X-GW-SIGNATURE=b", "http://h/?x-amz-signature=xxxxx&X-GW-SIGNATURE=xxxxx"},
		{"escaped names", "http://h/?X%2DAmz-Signature=a&X-Gw-Signatur%65=b", "http://h/?X%2DAmz-Signature=xxxxx&X-Gw-Signatur%65=xxxxx"},
		{"empty and repeated values", "http://h/?Signature=&Signature=a&Signature", "http://h/?Signature=xxxxx&Signature=xxxxx&Signature"},
		{"other parameters kept", "http://h/?signature-version=4&X-Amz-Signatures=a", "http://h/?signature-version=4&X-Amz-Signatures=a"},
		{"password and signature", "http://u:p@h/k?X-Amz-Signature=s#X-Amz-Signature=f", "http://u:xxxxx@h/k?X-Amz-Signature=xxxxx#X-Amz-Signature=f"},
		// net/url refuses these; what follows "//" up to the last '@' goes.
		{"unparsable port", "http://user:pw@h:port/p", "http://xxxxx@h:port/p"},
		{"'/' in the password", "http://user:p/w@h:1/", "http://xxxxx@h:1/"},
		{"'#' in the password", "http://user:p#w@h:x/", "http://xxxxx@h:x/"},
		{"unparsable with a signature", "http://h:x/k?X-Amz-Signature=s", "http://h:x/k?X-Amz-Signature=xxxxx"},
		{"unparsable escape", "http://u:p@h/%zz", "http://xxxxx@h/%zz"},
		{"missing scheme", "://u:p@h", "://xxxxx@h"},
	} {
		if got := URL(c.in); got != c.want {
			t.Errorf("%s: URL(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// FuzzURL checks, for any URL net/url parses, that the redacted one still
// parses to the same place, with no password but Mask and no sensitive
// query value but Mask; and, for any input, that a password net/url would
// read never survives.
func FuzzURL(f *testing.F) {
	for _, s := range []string{
		"http://u:p@h/k?X-Amz-Signature=s&a=b#f", "//u:p@h", "http://h/a@b", "x:y@z", "/k?Signature=1",
		"http://u:p@h:x/", "http://[::1]:80/?X-Gw-Signature=1", "mailto:u:p@h", "http://u:p%zz@h/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := URL(raw)
		in, err := url.Parse(raw)
		if err != nil {
			return
		}
		out, err := url.Parse(got)
		if err != nil {
			t.Fatalf("URL(%q) = %q: %v", raw, got, err)
		}
		if out.Scheme != in.Scheme || out.Host != in.Host || out.EscapedPath() != in.EscapedPath() ||
			out.Opaque != in.Opaque || out.EscapedFragment() != in.EscapedFragment() || out.User.Username() != in.User.Username() {
			t.Fatalf("URL(%q) = %q: no longer the same place", raw, got)
		}
		_, had := in.User.Password()
		if pw, has := out.User.Password(); has != had || has && pw != Mask {
			t.Fatalf("URL(%q) = %q: password %q", raw, got, pw)
		}
		q, err := url.ParseQuery(out.RawQuery)
		if err != nil {
			return
		}
		for name, values := range q {
			if !sensitive[strings.ToLower(name)] {
				continue
			}
			for _, v := range values {
				if v != Mask && v != "" {
					t.Fatalf("URL(%q) = %q: %s=%q", raw, got, name, v)
				}
			}
		}
	})
}
