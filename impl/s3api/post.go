package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/s3gw/gateway/impl/accesslog"
	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/auth/sigv4"
	"github.com/s3gw/gateway/impl/checksum"
	"github.com/s3gw/gateway/impl/postpolicy"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// PolicyVerifier authenticates browser uploads (POST Object) by the
// signature of their policy.
type PolicyVerifier interface {
	VerifyPolicy(ctx context.Context, p sigv4.Policy) (*auth.Principal, error)
}

// S3 bounds the form fields that precede the file: 20 KB (AWS's "Browser-
// based uploads using POST": form data and boundaries, excluding the
// file, at most 20 KB).
const maxPostFields = 20 << 10

var (
	errPostFile = s3err.InvalidArgument.With("POST requires exactly one file upload per request.").
			WithArgument("file", "0")
	errPostFields = &s3err.Error{Code: "MaxPostPreDataLengthExceededError", Status: http.StatusBadRequest,
		Message: "Your POST request fields preceding the upload file were too large."}
	errPostNotForm = s3err.PreconditionFailed.WithDetails(s3err.Detail{Name: "Condition", Value: "Bucket POST must be of the enclosure-type multipart/form-data"})
)

// isFormBody reports whether a request's body is multipart/form-data.
func isFormBody(hdr http.Header) bool {
	mt, _, err := mime.ParseMediaType(hdr.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// errPostField is S3's refusal of a form without a field it needs.
func errPostField(name string) error {
	return s3err.InvalidArgument.With("Bucket POST must contain a field named '"+name+"'.  If it is specified, please check the order of the fields.").
		WithArgument(name, "")
}

// postForm is what precedes the file in a browser upload's form.
type postForm struct {
	fields map[string]string // lower-case names, first value
	sent   []string          // names in the order sent
	file   *multipart.Part
}

// postAuthFields are the form's signing fields, not headers of the object.
var postAuthFields = map[string]bool{"x-amz-algorithm": true, "x-amz-credential": true, "x-amz-date": true,
	"x-amz-signature": true, "x-amz-security-token": true}

// readPostForm reads the fields up to the file part, which it returns
// unread; fields after the file are not read (S3 ignores them).
func readPostForm(r *http.Request) (*postForm, error) {
	if !isFormBody(r.Header) {
		return nil, errPostNotForm
	}
	// The limit counts every byte before the file (part headers and
	// boundaries too), read before anything is authenticated; the slack
	// covers the multipart reader's read-ahead.
	pre := &preFile{r: r.Body, max: maxPostFields + 64<<10}
	r2 := *r
	r2.Body = io.NopCloser(pre)
	mr, err := r2.MultipartReader()
	if err != nil {
		return nil, s3err.MalformedPOSTRequest
	}
	f := &postForm{fields: map[string]string{}}
	budget := int64(maxPostFields)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, errPostFile
		}
		if errors.Is(err, errPostFields) {
			return nil, errPostFields
		}
		if err != nil {
			return nil, s3err.MalformedPOSTRequest
		}
		name := strings.ToLower(part.FormName())
		if name == "file" {
			pre.done = true
			f.file = part
			return f, nil
		}
		v, err := io.ReadAll(io.LimitReader(part, budget+1))
		if errors.Is(err, errPostFields) {
			return nil, errPostFields
		}
		if err != nil {
			return nil, s3err.MalformedPOSTRequest
		}
		// Each part costs at least a little, so that empty ones do not
		// come free.
		if budget -= int64(len(v)+len(name)) + 64; budget < 0 {
			return nil, errPostFields
		}
		if _, dup := f.fields[name]; !dup && name != "" {
			f.fields[name] = string(v)
			f.sent = append(f.sent, name)
		}
	}
}

// preFile counts the bytes of a form read before its file part and fails
// past max until done is set.
type preFile struct {
	r    io.Reader
	n    int64
	max  int64
	done bool
}

func (p *preFile) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if !p.done && p.n > p.max {
		return n, errPostFields
	}
	return n, err
}

// postObject serves a browser upload: a form whose signed policy decides
// what may be stored, the file last and streamed to storage.
func (h *Handler) postObject(rq *request) error {
	if h.opts.PostPolicy == nil {
		return s3err.NotImplemented.With("Browser uploads (POST Object) are not enabled on this gateway.")
	}
	f, err := readPostForm(rq.r)
	if err != nil {
		return err
	}
	key, ok := f.fields["key"]
	if !ok {
		return errPostField("key")
	}
	key = strings.ReplaceAll(key, "${filename}", f.file.FileName())
	rq.key = key
	if f.fields["policy"] == "" && f.fields["x-amz-signature"] == "" {
		// Unsigned: an anonymous upload, which no bucket here takes.
		return s3err.AccessDenied
	}
	for _, name := range []string{"policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if f.fields[name] == "" {
			return errPostField(name)
		}
	}
	p, err := h.opts.PostPolicy.VerifyPolicy(rq.r.Context(), sigv4.Policy{
		Algorithm: f.fields["x-amz-algorithm"], Credential: f.fields["x-amz-credential"], Date: f.fields["x-amz-date"],
		Policy: f.fields["policy"], Signature: f.fields["x-amz-signature"], Bucket: rq.bucket, Key: key,
	})
	if err != nil {
		return err
	}
	rq.principal = p
	accesslog.FromContext(rq.r.Context()).Project = p.Project
	policy, err := postpolicy.Parse(f.fields["policy"])
	if err != nil {
		return err
	}
	checked := make(map[string]string, len(f.fields)+1)
	for k, v := range f.fields {
		checked[k] = v
	}
	checked["key"] = key
	checked["bucket"] = rq.bucket
	if err := policy.Check(time.Now(), checked, f.sent); err != nil {
		return err
	}
	if err := h.authorize(rq, auth.Put, rq.bucket, key); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	return h.storePost(rq, f, policy)
}

// storePost streams the form's file to key, with the metadata and
// checksums its fields give, within the policy's size range.
func (h *Handler) storePost(rq *request, f *postForm, policy *postpolicy.Policy) error {
	// The fields that stand for a PUT's headers are read as a PUT's are,
	// refusals of what the gateway does not implement included (tagging,
	// SSE-KMS and SSE-C, Object Lock). The file part's own Content-Type is
	// not used: the policy does not see it, and a signer who left the
	// field out did not allow one.
	hdr := http.Header{}
	for name, v := range f.fields {
		switch {
		case name == "tagging":
			hdr.Set("X-Amz-Tagging", v)
		case name == "content-type", name == "cache-control", name == "content-disposition",
			name == "content-encoding", name == "expires", name == "content-md5",
			strings.HasPrefix(name, "x-amz-") && !postAuthFields[name]:
			hdr.Set(textproto.CanonicalMIMEHeaderKey(name), v)
		}
	}
	if err := objectWriteHeaders(hdr); err != nil {
		return err
	}
	meta, err := parseMetadata(hdr)
	if err != nil {
		return err
	}
	wantMD5, err := contentMD5(hdr)
	if err != nil {
		return err
	}
	exps, err := checksumExpectations(&http.Request{Header: hdr})
	if err != nil {
		return err
	}
	lo, hi, ranged := policy.LengthRange()
	if !ranged || hi > h.opts.MaxBodyBytes {
		lo, hi = min(lo, h.opts.MaxBodyBytes), h.opts.MaxBodyBytes
	}
	body := &sizeRange{r: f.file, lo: lo, hi: hi}
	undo, err := h.ensureBucket(rq)
	if err != nil {
		return err
	}
	cr := checksum.NewReader(body, withDefaultChecksum(exps))
	info, err := h.opts.Backend.PutObject(rq.r.Context(), rq.bucket, rq.key, cr, storage.PutOptions{
		Metadata: meta, Size: -1, MaxSize: h.opts.MaxBodyBytes, ContentMD5: wantMD5, LateChecksums: cr.Sums,
		NoModTime: true, // not in a POST's answer
	})
	if err != nil {
		undo()
		if body.err != nil {
			return body.err
		}
		return err
	}
	return h.answerPost(rq, f, info)
}

// answerPost sends S3's answer to a stored upload: a redirect when the
// form asks for one, else success_action_status (204 by default; 201 with
// a PostResponse document).
func (h *Handler) answerPost(rq *request, f *postForm, info storage.ObjectInfo) error {
	w := rq.w
	etag := quote(info.ETag)
	location := h.objectURL(rq)
	w.Header().Set("ETag", etag)
	w.Header().Set("Location", location)
	setWriteChecksumHeaders(w.Header(), info.Checksums)
	redirect := f.fields["success_action_redirect"]
	if redirect == "" {
		redirect = f.fields["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		q := u.Query()
		q.Set("bucket", rq.bucket)
		q.Set("key", rq.key)
		q.Set("etag", etag)
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	switch f.fields["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		h.writeXML(rq, http.StatusCreated, postResponse{Location: location, Bucket: rq.bucket, Key: rq.key, ETag: etag})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// objectURL is the stored object's URL as the client reached the gateway.
func (h *Handler) objectURL(rq *request) string {
	scheme := "http"
	if rq.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + rq.r.Host + h.opts.Prefix + "/" + rq.bucket + "/" + escapeKey(rq.key)
}

// escapeKey escapes a key as S3's Location does, "/" included.
func escapeKey(key string) string { return url.PathEscape(key) }

type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string
	Bucket   string
	Key      string
	ETag     string
}

// sizeRange fails a body outside [lo, hi] bytes: past hi as soon as it
// is, short of lo at its end, so that nothing is stored.
type sizeRange struct {
	r      io.Reader
	n      int64
	lo, hi int64
	err    error
}

func (s *sizeRange) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	switch {
	case s.n > s.hi:
		s.err = s3err.EntityTooLarge.WithDetails(s3err.Detail{Name: "MaxSizeAllowed", Value: strconv.FormatInt(s.hi, 10)})
		return 0, s.err
	case errors.Is(err, io.EOF) && s.n < s.lo:
		s.err = s3err.EntityTooSmall.WithDetails(s3err.Detail{Name: "MinSizeAllowed", Value: strconv.FormatInt(s.lo, 10)})
		return n, s.err
	}
	return n, err
}
