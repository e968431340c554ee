// Package cors is S3's cross-origin resource sharing: a bucket's CORS
// configuration (the XML of PutBucketCors, validated as S3 validates it),
// the rule a browser's request matches, and the Access-Control-* headers
// that rule answers with.
//
// Matching follows S3 (the user guide's "How does Amazon S3 evaluate the
// CORS configuration", and S3's recorded answers): rules are tried in
// order and the first that matches wins; an origin matches an
// AllowedOrigin as a whole string in which one "*" stands for any run of
// characters, the empty one included; the method must be one of the
// rule's; every requested header must match an AllowedHeader, ignoring
// case, with the same wildcard.
package cors

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/s3gw/gateway/impl/s3err"
)

// Limits S3 documents for a configuration (user guide, "CORS
// configuration"): 100 rules, 64 KB.
const (
	MaxRules = 100
	MaxBytes = 64 << 10
)

// Methods are the methods a rule may allow.
var Methods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

// Rule is one CORSRule.
type Rule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

// Config is a CORSConfiguration.
type Config struct {
	XMLName xml.Name `xml:"CORSConfiguration"`
	Rules   []Rule   `xml:"CORSRule"`
}

// Parse reads a PutBucketCors body and validates it, answering S3's
// errors: MalformedXML for a document S3's schema refuses (no rule, a rule
// without an origin or a method), InvalidRequest for a method S3 does not
// allow or a second wildcard in an origin or header.
func Parse(doc []byte) (Config, error) {
	if len(doc) > MaxBytes {
		return Config{}, s3err.MalformedXML.With(fmt.Sprintf("The CORS configuration must be at most %d bytes.", MaxBytes))
	}
	var c Config
	d := xml.NewDecoder(bytes.NewReader(doc))
	if err := d.Decode(&c); err != nil || c.XMLName.Local != "CORSConfiguration" {
		return Config{}, s3err.MalformedXML
	}
	for {
		// Nothing but white space may follow the document.
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if cd, ok := tok.(xml.CharData); err != nil || !ok || len(bytes.TrimSpace(cd)) > 0 {
			return Config{}, s3err.MalformedXML
		}
	}
	if len(c.Rules) == 0 {
		return Config{}, s3err.MalformedXML
	}
	if len(c.Rules) > MaxRules {
		return Config{}, s3err.MalformedXML.With(fmt.Sprintf("The CORS configuration must have at most %d rules.", MaxRules))
	}
	for _, r := range c.Rules {
		if err := r.Validate(); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// Validate checks a rule as PutBucketCors does.
func (r Rule) Validate() error {
	if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
		return s3err.MalformedXML
	}
	for _, m := range r.AllowedMethods {
		if !slices.Contains(Methods, m) {
			return s3err.InvalidRequest.With("Found unsupported HTTP method in CORS config. Unsupported method is " + m)
		}
	}
	for _, o := range r.AllowedOrigins {
		if strings.Count(o, "*") > 1 {
			return s3err.InvalidRequest.With(fmt.Sprintf("AllowedOrigin %q can not have more than one wildcard.", o))
		}
	}
	for _, h := range r.AllowedHeaders {
		if strings.Count(h, "*") > 1 {
			return s3err.InvalidRequest.With(fmt.Sprintf("AllowedHeader %q can not have more than one wildcard.", h))
		}
	}
	if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
		return s3err.MalformedXML
	}
	return nil
}

// Marshal writes the configuration as GetBucketCors answers it: the rules
// as stored, in their order, with only the members that were set.
func (c Config) Marshal() ([]byte, error) {
	out, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CORSConfiguration"`
		Rules   []Rule   `xml:"CORSRule"`
	}{Rules: c.Rules})
	if err != nil {
		return nil, fmt.Errorf("cors: marshal: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}

// Request is what a browser's request asks of the configuration: its
// origin, the method (Access-Control-Request-Method when it is sent, else
// the request's own) and the headers of Access-Control-Request-Headers.
type Request struct {
	Origin  string
	Method  string
	Headers []string
}

// FromHTTP reads a Request from r; ok is false when r has no Origin, so is
// not a cross-origin request.
func FromHTTP(r *http.Request) (req Request, ok bool) {
	req.Origin = r.Header.Get("Origin")
	if req.Origin == "" {
		return req, false
	}
	req.Method = r.Header.Get("Access-Control-Request-Method")
	if req.Method == "" && r.Method != http.MethodOptions {
		req.Method = r.Method
	}
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				req.Headers = append(req.Headers, strings.ToLower(h))
			}
		}
	}
	return req, true
}

// Match returns the first rule that allows req, or nil.
func (c Config) Match(req Request) *Rule {
	for i := range c.Rules {
		if c.Rules[i].allows(req) {
			return &c.Rules[i]
		}
	}
	return nil
}

func (r *Rule) allows(req Request) bool {
	if !slices.Contains(r.AllowedMethods, req.Method) {
		return false
	}
	if !slices.ContainsFunc(r.AllowedOrigins, func(o string) bool { return wildcard(o, req.Origin, false) }) {
		return false
	}
	for _, h := range req.Headers {
		if !slices.ContainsFunc(r.AllowedHeaders, func(a string) bool { return wildcard(a, h, true) }) {
			return false
		}
	}
	return true
}

// wildcard reports whether s matches pattern, whose one "*" stands for any
// run of characters (the empty one included).
func wildcard(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	before, after, found := strings.Cut(pattern, "*")
	if !found {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// SetHeaders writes the answer of rule to req on h: S3 echoes the origin
// (allowing credentials) unless the rule allows every origin, lists all of
// the rule's methods, and on a preflight the requested headers; exposed
// headers and max age when the rule has them.
func (r *Rule) SetHeaders(h http.Header, req Request, preflight bool) {
	if slices.Contains(r.AllowedOrigins, "*") {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", req.Origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if preflight && len(req.Headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(req.Headers, ", "))
	}
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}

// Errors of a preflight (S3's AccessForbidden carries the method asked
// and whether the target was a bucket or an object).
var (
	// ErrNoOrigin is a preflight without an Origin.
	ErrNoOrigin = &s3err.Error{Code: "BadRequest", Status: http.StatusBadRequest, Message: "Insufficient information. Origin request header needed."}
	errRefused  = &s3err.Error{Code: "AccessForbidden", Status: http.StatusForbidden,
		Message: "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."}
)

// Refused is the preflight refusal for req on a bucket (object false) or
// an object. The gateway answers it whether the bucket has no
// configuration, none that matches, or does not exist, so that a preflight
// does not tell who may not use a bucket whether it exists.
func Refused(req Request, object bool) error {
	method := req.Method
	if method == "" {
		method = http.MethodOptions
	}
	typ := "BUCKET"
	if object {
		typ = "OBJECT"
	}
	return errRefused.WithDetails(s3err.Detail{Name: "Method", Value: method}, s3err.Detail{Name: "ResourceType", Value: typ})
}

// ErrNoSuchConfiguration is GetBucketCors of a bucket without one.
var ErrNoSuchConfiguration = &s3err.Error{Code: "NoSuchCORSConfiguration", Status: http.StatusNotFound, Message: "The CORS configuration does not exist"}

// Handler answers CORS for an endpoint that is not a bucket's (the
// gateway's /v1/presign) from cfg: a preflight is answered here, 200 with
// the rule's headers or 403, and never reaches next; another request with
// an Origin that a rule allows gets the headers and goes on. With a nil cfg
// it is next.
func Handler(cfg *Config, next http.Handler) http.Handler {
	if cfg == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := FromHTTP(r)
		rule := (*Rule)(nil)
		if ok {
			rule = cfg.Match(req)
		}
		if r.Method != http.MethodOptions {
			if rule != nil {
				rule.SetHeaders(w.Header(), req, false)
			}
			next.ServeHTTP(w, r)
			return
		}
		if rule == nil || req.Method == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"error":"CORS preflight not allowed: no rule allows this origin, method and headers"}`+"\n")
			return
		}
		rule.SetHeaders(w.Header(), req, true)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	})
}
