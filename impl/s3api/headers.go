package s3api

import (
	"maps"
	"net/http"
	"strings"

	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/storage"
)

// Request headers that ask for more than storing bytes. What the gateway
// does not implement it refuses, never answering 200 and dropping what was
// asked: with S3's own answer where S3 would refuse too, else with S3's
// answer to a header it does not implement, 501 NotImplemented naming the
// header (as for Transfer-Encoding, errChunkedBody).

// notImplementedHeader is S3's refusal of a header whose functionality is
// not implemented.
func notImplementedHeader(name string) *s3err.Error {
	return s3err.NotImplemented.With("A header you provided implies functionality that is not implemented").
		WithDetails(s3err.Detail{Name: "Header", Value: name})
}

// errMissingObjectLock is S3's answer to object-lock headers on a write to
// a bucket created without Object Lock, which every bucket of the gateway
// is (versity/versitygw#1751 quotes the wording of PutObject, CopyObject and
// CreateMultipartUpload).
var errMissingObjectLock = s3err.InvalidRequest.With("Bucket is missing ObjectLockConfiguration")

var objectLockHeaders = [...]string{"X-Amz-Object-Lock-Mode", "X-Amz-Object-Lock-Retain-Until-Date", "X-Amz-Object-Lock-Legal-Hold"}

// sseHeader names the encryption a write asks for; every object is stored
// with SSE-S3 (AES256), as in S3 since 2023, and reported so.
const sseHeader = "X-Amz-Server-Side-Encryption"

// errSSEMethod is S3's answer to an encryption method it does not have
// (aws/aws-sdk-cpp#1771 quotes the document).
var errSSEMethod = s3err.InvalidArgument.With("The encryption method specified is not supported")

// objectWriteHeaders checks the headers of a write that creates an object
// (PutObject, CopyObject, CreateMultipartUpload).
func objectWriteHeaders(hdr http.Header) error {
	for _, name := range objectLockHeaders {
		if _, ok := hdr[name]; ok {
			return errMissingObjectLock
		}
	}
	if hdr.Get("X-Amz-Tagging") != "" {
		return notImplementedHeader("x-amz-tagging")
	}
	if vs := hdr[sseHeader]; len(vs) > 0 {
		switch v := vs[0]; v {
		case "AES256":
		case "aws:kms", "aws:kms:dsse":
			return notImplementedHeader("x-amz-server-side-encryption")
		default:
			return errSSEMethod.WithArgument("x-amz-server-side-encryption", v)
		}
	}
	for _, name := range [...]string{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "X-Amz-Server-Side-Encryption-Context"} {
		if _, ok := hdr[name]; ok {
			return notImplementedHeader(strings.ToLower(name))
		}
	}
	if strings.EqualFold(hdr.Get("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled"), "true") {
		return notImplementedHeader("x-amz-server-side-encryption-bucket-key-enabled")
	}
	return customerKeyHeaders(hdr, "X-Amz-Server-Side-Encryption-Customer-")
}

// customerKeyHeaders refuses SSE-C: headers under prefix carrying a
// customer-provided key for the object written (or, for a copy, read).
func customerKeyHeaders(hdr http.Header, prefix string) error {
	for _, suffix := range [...]string{"Algorithm", "Key", "Key-Md5"} {
		if _, ok := hdr[prefix+suffix]; ok {
			return notImplementedHeader(strings.ToLower(prefix + suffix))
		}
	}
	return nil
}

// copyHeaders checks a CopyObject's headers: those of a write, and a
// customer key for its source.
func copyHeaders(hdr http.Header) error {
	if err := objectWriteHeaders(hdr); err != nil {
		return err
	}
	return customerKeyHeaders(hdr, "X-Amz-Copy-Source-Server-Side-Encryption-Customer-")
}

// partHeaders checks an UploadPart's headers: a customer key is the only
// encryption a part can name.
func partHeaders(hdr http.Header) error {
	return customerKeyHeaders(hdr, "X-Amz-Server-Side-Encryption-Customer-")
}

// partCopyHeaders checks an UploadPartCopy's headers.
func partCopyHeaders(hdr http.Header) error {
	if err := partHeaders(hdr); err != nil {
		return err
	}
	return customerKeyHeaders(hdr, "X-Amz-Copy-Source-Server-Side-Encryption-Customer-")
}

// createBucketHeaders refuses a bucket with Object Lock, which the gateway
// cannot keep.
func createBucketHeaders(hdr http.Header) error {
	if strings.EqualFold(hdr.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		return notImplementedHeader("x-amz-bucket-object-lock-enabled")
	}
	return nil
}

// redirectHeader is the website redirect location stored with an object.
const redirectHeader = "X-Amz-Website-Redirect-Location"

// errRedirectLocation is S3's refusal of a redirect location of another
// form (laurilehmijoki/s3_website#99, aws/aws-cli#1130).
var errRedirectLocation = &s3err.Error{Code: "InvalidRedirectLocation", Status: http.StatusBadRequest,
	Message: "The website redirect location must have a prefix of 'http://' or 'https://' or '/'."}

// checkRedirect validates a website redirect location ("" for none).
func checkRedirect(v string) error {
	if v == "" || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return nil
	}
	return errRedirectLocation
}

// copiedMetadata is the metadata a copy made with the COPY directive gets:
// the source's, but for the website redirect location, which "is unique to
// each object and is not copied" (the CopyObject API reference): the copy
// has the one given with the request, if any.
func copiedMetadata(src storage.Metadata, redirect string) storage.Metadata {
	m := src
	m.Headers = maps.Clone(src.Headers)
	delete(m.Headers, redirectHeader)
	if redirect != "" {
		if m.Headers == nil {
			m.Headers = make(map[string]string, 1)
		}
		m.Headers[redirectHeader] = redirect
	}
	return m
}
