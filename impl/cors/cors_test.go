package cors

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/s3gw/gateway/impl/s3err"
)

func code(err error) string {
	var e *s3err.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestParseRefuses(t *testing.T) {
	rule := func(inner string) string {
		return `<CORSConfiguration><CORSRule>` + inner + `</CORSRule></CORSConfiguration>`
	}
	for _, c := range []struct {
		name, doc, code, msg string
	}{
		{"not XML", `nope`, "MalformedXML", ""},
		{"another root", `<Other/>`, "MalformedXML", ""},
		{"no rule", `<CORSConfiguration/>`, "MalformedXML", ""},
		{"no origin", rule(`<AllowedMethod>GET</AllowedMethod>`), "MalformedXML", ""},
		{"no method", rule(`<AllowedOrigin>*</AllowedOrigin>`), "MalformedXML", ""},
		{"PATCH", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>`), "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
		{"lower-case get", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>`), "InvalidRequest",
			"Found unsupported HTTP method in CORS config. Unsupported method is get"},
		{"two wildcards in an origin", rule(`<AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), "InvalidRequest",
			`AllowedOrigin "*example*.com" can not have more than one wildcard.`},
		{"two wildcards in a header", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>`), "InvalidRequest", ""},
		{"negative max age", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>`), "MalformedXML", ""},
		{"max age not a number", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>x</MaxAgeSeconds>`), "MalformedXML", ""},
		{"trailing element", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`) + `<x/>`, "MalformedXML", ""},
		{"101 rules", `<CORSConfiguration>` + strings.Repeat(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`, 101) + `</CORSConfiguration>`, "MalformedXML", ""},
		{"over 64 KB", rule(`<AllowedOrigin>` + strings.Repeat("a", MaxBytes) + `</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), "MalformedXML", ""},
	} {
		_, err := Parse([]byte(c.doc))
		if code(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
			continue
		}
		var e *s3err.Error
		if c.msg != "" && errors.As(err, &e) && e.Message != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, e.Message, c.msg)
		}
	}
}

func TestParseMarshal(t *testing.T) {
	doc := `<?xml version="1.0"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule><ID>web</ID><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedOrigin>http://test.com:80</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-AMZ-*</AllowedHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds><ExposeHeader>ETag</ExposeHeader></CORSRule>
  <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
</CORSConfiguration>
`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	age := 3000
	want := []Rule{
		{ID: "web", AllowedOrigins: []string{"http://*.example.com", "http://test.com:80"}, AllowedMethods: []string{"PUT", "GET"},
			AllowedHeaders: []string{"x-AMZ-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: &age},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	}
	if !reflect.DeepEqual(c.Rules, want) {
		t.Fatalf("parsed %+v, want %+v", c.Rules, want)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`) ||
		strings.Count(string(out), "<MaxAgeSeconds>") != 1 || strings.Count(string(out), "<ID>") != 1 {
		t.Errorf("members not set are written: %s", out)
	}
	again, err := Parse(out)
	if err != nil || !reflect.DeepEqual(again.Rules, want) {
		t.Errorf("marshalled %s parses as %+v, %v", out, again.Rules, err)
	}
}

func TestMatch(t *testing.T) {
	c, err := Parse([]byte(`<CORSConfiguration>
<CORSRule><AllowedOrigin>*suffix</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
<CORSRule><AllowedOrigin>start*end</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
<CORSRule><AllowedOrigin>prefix*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
<CORSRule><AllowedOrigin>*.put</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule>
<CORSRule><AllowedOrigin>http://h.example</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader></CORSRule>
<CORSRule><AllowedOrigin>http://h.example</AllowedOrigin><AllowedMethod>DELETE</AllowedMethod></CORSRule>
</CORSConfiguration>`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		req  Request
		rule int // index of the rule matched, -1 for none
	}{
		// ceph/s3-tests test_cors_origin_response's origins.
		{Request{Origin: "foo.suffix", Method: "GET"}, 0},
		{Request{Origin: "foo.bar", Method: "GET"}, -1},
		{Request{Origin: "foo.suffix.get", Method: "GET"}, -1},
		{Request{Origin: "startend", Method: "GET"}, 1},
		{Request{Origin: "start1end", Method: "GET"}, 1},
		{Request{Origin: "0start12end", Method: "GET"}, -1},
		{Request{Origin: "prefix", Method: "GET"}, 2},
		{Request{Origin: "prefix.x", Method: "GET"}, 2},
		{Request{Origin: "prefix.suffix", Method: "GET"}, 0}, // the first rule that matches
		{Request{Origin: "bla.prefix", Method: "GET"}, -1},
		{Request{Origin: "foo.suffix", Method: "PUT"}, -1},
		{Request{Origin: "foo.put", Method: "PUT"}, 3},
		// Headers: every one requested must be allowed, case ignored.
		{Request{Origin: "http://h.example", Method: "PUT", Headers: []string{"x-amz-meta-a", "content-type"}}, 4},
		{Request{Origin: "http://h.example", Method: "PUT", Headers: []string{"x-amz-meta-a", "range"}}, -1},
		{Request{Origin: "http://h.example/", Method: "PUT"}, -1},
		{Request{Origin: "https://h.example", Method: "PUT"}, -1},
		{Request{Origin: "http://h.example", Method: "DELETE"}, 5},
		{Request{Origin: "http://h.example", Method: "DELETE", Headers: []string{"x-amz-meta-a"}}, -1},
		{Request{Origin: "http://h.example", Method: ""}, -1},
	} {
		got := c.Match(tc.req)
		want := (*Rule)(nil)
		if tc.rule >= 0 {
			want = &c.Rules[tc.rule]
		}
		if got != want {
			t.Errorf("%+v matched %+v, want rule %d", tc.req, got, tc.rule)
		}
	}
}

func TestSetHeaders(t *testing.T) {
	age := 60
	echo := Rule{AllowedOrigins: []string{"http://a.example"}, AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"*"},
		ExposeHeaders: []string{"ETag", "x-amz-request-id"}, MaxAgeSeconds: &age}
	any := Rule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}
	req := Request{Origin: "http://a.example", Method: "PUT", Headers: []string{"content-type", "x-amz-meta-a"}}
	for _, c := range []struct {
		name      string
		rule      Rule
		preflight bool
		want      http.Header
	}{
		{"preflight, echoed origin", echo, true, http.Header{
			"Access-Control-Allow-Origin":      {"http://a.example"},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"GET, PUT"},
			"Access-Control-Allow-Headers":     {"content-type, x-amz-meta-a"},
			"Access-Control-Expose-Headers":    {"ETag, x-amz-request-id"},
			"Access-Control-Max-Age":           {"60"},
			"Vary":                             {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}},
		{"actual request", echo, false, http.Header{
			"Access-Control-Allow-Origin":      {"http://a.example"},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Allow-Methods":     {"GET, PUT"},
			"Access-Control-Expose-Headers":    {"ETag, x-amz-request-id"},
			"Access-Control-Max-Age":           {"60"},
			"Vary":                             {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}},
		{"any origin", any, false, http.Header{
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Methods": {"GET"},
			"Vary":                         {"Origin, Access-Control-Request-Headers, Access-Control-Request-Method"},
		}},
	} {
		h := http.Header{}
		c.rule.SetHeaders(h, req, c.preflight)
		if !reflect.DeepEqual(h, c.want) {
			t.Errorf("%s: headers %v, want %v", c.name, h, c.want)
		}
	}
}

func TestFromHTTP(t *testing.T) {
	r, _ := http.NewRequest(http.MethodOptions, "http://gw/s3/b/k", nil)
	if _, ok := FromHTTP(r); ok {
		t.Errorf("a request without Origin is cross-origin")
	}
	r.Header.Set("Origin", "http://a.example")
	r.Header.Set("Access-Control-Request-Method", "PUT")
	r.Header.Add("Access-Control-Request-Headers", "Content-Type, X-Amz-Meta-A")
	r.Header.Add("Access-Control-Request-Headers", "x-amz-date")
	req, ok := FromHTTP(r)
	want := Request{Origin: "http://a.example", Method: "PUT", Headers: []string{"content-type", "x-amz-meta-a", "x-amz-date"}}
	if !ok || !reflect.DeepEqual(req, want) {
		t.Errorf("FromHTTP = %+v, %v; want %+v", req, ok, want)
	}
	g, _ := http.NewRequest(http.MethodGet, "http://gw/s3/b/k", nil)
	g.Header.Set("Origin", "http://a.example")
	if req, _ := FromHTTP(g); req.Method != "GET" {
		t.Errorf("an actual GET asks for %q", req.Method)
	}
}

// FuzzParse: no document panics Parse, and what it accepts marshals to a
// document that parses to the same rules.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds></CORSRule></CORSConfiguration>`))
	f.Add([]byte(`<CORSConfiguration><CORSRule><ID>i</ID><AllowedOrigin>http://*.a</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := Parse(doc)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("%q parsed, but its marshalled form %q does not: %v", doc, out, err)
		}
		if !reflect.DeepEqual(again.Rules, c.Rules) {
			t.Fatalf("%q: rules %+v, after a round trip %+v", doc, c.Rules, again.Rules)
		}
	})
}
