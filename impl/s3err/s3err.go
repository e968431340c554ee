// Package s3err defines the S3 error codes the gateway answers with.
//
// It is a leaf package so that every layer that can refuse a request (routing,
// authentication, payload verification) speaks the same vocabulary, and the
// HTTP layer alone decides how an error is rendered.
package s3err

import (
	"encoding/xml"
	"errors"
	"net/http"
)

// Error is an S3 API error: a code name, the HTTP status S3 uses for it and a
// human-readable message, and the extra elements some codes carry.
type Error struct {
	Code    string
	Status  int
	Message string
	Details []Detail
	// Key and Bucket, when set, are the object key and bucket name the
	// document names (S3's Key and BucketName elements); otherwise the
	// HTTP layer names the request's own, for the codes that carry them.
	Key, Bucket string
}

// Detail is an extra element of an error document, by which S3 names the
// offending argument or the limit crossed (ArgumentName, MaxSizeAllowed).
type Detail struct{ Name, Value string }

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// With returns a copy of e with another message, for errors whose S3 text
// names the offending argument.
func (e *Error) With(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// WithDetails returns a copy of e that also carries the given elements.
func (e *Error) WithDetails(d ...Detail) *Error {
	c := *e
	c.Details = append(append([]Detail(nil), e.Details...), d...)
	return &c
}

// ForKey returns a copy of e that names key: an error about another object
// than the request's (a copy's source).
func (e *Error) ForKey(key string) *Error {
	c := *e
	c.Key = key
	return &c
}

// ForBucket returns a copy of e that names bucket.
func (e *Error) ForBucket(bucket string) *Error {
	c := *e
	c.Bucket = bucket
	return &c
}

// WithArgument returns a copy of e that names the offending argument and
// its value, as S3's ArgumentName and ArgumentValue elements.
func (e *Error) WithArgument(name, value string) *Error {
	return e.WithDetails(Detail{Name: "ArgumentName", Value: name}, Detail{Name: "ArgumentValue", Value: value})
}

// Document is S3's error document.
type Document struct {
	XMLName    xml.Name  `xml:"Error"`
	Code       string    `xml:"Code"`
	Message    string    `xml:"Message"`
	Key        string    `xml:"Key,omitempty"`
	BucketName string    `xml:"BucketName,omitempty"`
	Details    []element `xml:""`
	Resource   string    `xml:"Resource"`
	RequestID  string    `xml:"RequestId"`
	HostID     string    `xml:"HostId"`
}

type element struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// Document returns e's error document for a request to resource.
func (e *Error) Document(resource, requestID string) Document {
	d := Document{Code: e.Code, Message: e.Message, Key: e.Key, BucketName: e.Bucket, Resource: resource, RequestID: requestID, HostID: requestID}
	for _, x := range e.Details {
		d.Details = append(d.Details, element{XMLName: xml.Name{Local: x.Name}, Value: x.Value})
	}
	return d
}

// Marshal returns the document with its XML declaration.
func (d Document) Marshal() []byte {
	out, err := xml.Marshal(d)
	if err != nil { // only strings: cannot fail
		panic("s3err: encode error document: " + err.Error())
	}
	return append([]byte(xml.Header), out...)
}

// As reports whether err is or wraps an *Error and returns it.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

func def(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// The codes, statuses and default messages follow Amazon S3's error reference.
var (
	AccessDenied                      = def("AccessDenied", http.StatusForbidden, "Access Denied")
	BadDigest                         = def("BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum value that you specified did not match what the server received.")
	BucketAlreadyExists               = def("BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	BucketAlreadyOwnedByYou           = def("BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it.")
	BucketNotEmpty                    = def("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty.")
	EntityTooLarge                    = def("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size.")
	EntityTooSmall                    = def("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size.")
	IncompleteBody                    = def("IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	InternalError                     = def("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	InvalidArgument                   = def("InvalidArgument", http.StatusBadRequest, "Invalid Argument")
	InvalidChunkSizeError             = def("InvalidChunkSizeError", http.StatusForbidden, "Only the last chunk is allowed to have a size less than 8192 bytes")
	InvalidBucketName                 = def("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid.")
	InvalidDigest                     = def("InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified is not valid.")
	InvalidPart                       = def("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.")
	InvalidPartOrder                  = def("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	InvalidRange                      = def("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable")
	InvalidURI                        = def("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")
	InvalidRequest                    = def("InvalidRequest", http.StatusBadRequest, "Invalid Request")
	KeyTooLongError                   = def("KeyTooLongError", http.StatusBadRequest, "Your key is too long")
	MalformedPOSTRequest              = def("MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data.")
	MalformedXML                      = def("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	MetadataTooLarge                  = def("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size.")
	MethodNotAllowed                  = def("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	MissingContentLength              = def("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	NoSuchBucket                      = def("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist")
	NoSuchKey                         = def("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
	NoSuchUpload                      = def("NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.")
	NotImplemented                    = def("NotImplemented", http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented.")
	NotModified                       = def("NotModified", http.StatusNotModified, "Not Modified")
	PreconditionFailed                = def("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	RequestTimeout                    = def("RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")
	RequestHeaderSectionTooLarge      = def("RequestHeaderSectionTooLarge", http.StatusBadRequest, "Your request header section exceeds the maximum allowed size.")
	SlowDown                          = def("SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate.")
	ServiceUnavailable                = def("ServiceUnavailable", http.StatusServiceUnavailable, "Please reduce your request rate.")
	SignatureDoesNotMatch             = def("SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	InvalidAccessKeyID                = def("InvalidAccessKeyId", http.StatusForbidden, "The AWS Access Key Id you provided does not exist in our records.")
	RequestTimeTooSkewed              = def("RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the current time is too large.")
	AuthorizationHeaderMalformed      = def("AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header is malformed.")
	AuthorizationQueryParametersError = def("AuthorizationQueryParametersError", http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter.")
	XAmzContentSHA256Mismatch         = def("XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	MalformedTrailerError             = def("MalformedTrailerError", http.StatusBadRequest, "The request contained trailing data that was not well-formed or did not conform to our published schema.")
	InvalidStorageClass               = def("InvalidStorageClass", http.StatusBadRequest, "The storage class you specified is not valid.")
	MissingSecurityHeader             = def("MissingSecurityHeader", http.StatusBadRequest, "Your request was missing a required header.")
)
