package s3api

import (
	"net/http"
	"net/url"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
)

// operation is an S3 API operation: its name (for logs and metrics), the
// scope action it requires, and the function that serves it. An operation
// without fn is refused with err.
type operation struct {
	name   string
	action auth.Action
	fn     func(h *Handler, rq *request) error
	err    *s3err.Error
	// selfAuthorizing operations check scope against their own arguments
	// (a listing's prefix, each key of a batch delete) instead of the path.
	selfAuthorizing bool
	// sse operations report the SSE-S3 encryption every object has.
	sse bool
	// formAuth operations are authenticated by their form (POST Object's
	// signed policy), not by the request's headers or query.
	formAuth bool
	// headers, when set, refuses request headers asking for what the
	// gateway does not implement (headers.go).
	headers func(http.Header) error
}

// The operations and the scope action each requires. This table is the one
// the README documents.
var (
	opListBuckets       = &operation{name: "ListBuckets", action: auth.List, fn: (*Handler).listBuckets}
	opCreateBucket      = &operation{name: "CreateBucket", action: auth.Put, fn: (*Handler).createBucket, selfAuthorizing: true}
	opHeadBucket        = &operation{name: "HeadBucket", action: auth.Head, fn: (*Handler).headBucket}
	opDeleteBucket      = &operation{name: "DeleteBucket", action: auth.Delete, fn: (*Handler).deleteBucket}
	opGetBucketLocation = &operation{name: "GetBucketLocation", action: auth.Head, fn: (*Handler).getBucketLocation}
	opGetVersioning     = &operation{name: "GetBucketVersioning", action: auth.Head, fn: (*Handler).getBucketVersioning}
	opPutBucketCors     = &operation{name: "PutBucketCors", action: auth.Put, fn: (*Handler).putBucketCors}
	opGetBucketCors     = &operation{name: "GetBucketCors", action: auth.Get, fn: (*Handler).getBucketCors}
	opDeleteBucketCors  = &operation{name: "DeleteBucketCors", action: auth.Delete, fn: (*Handler).deleteBucketCors}
	opPostObject        = &operation{name: "PostObject", action: auth.Put, fn: (*Handler).postObject, sse: true, formAuth: true, selfAuthorizing: true}
	opListObjectsV2     = &operation{name: "ListObjectsV2", action: auth.List, fn: (*Handler).listObjectsV2, selfAuthorizing: true}
	opListObjects       = &operation{name: "ListObjects", action: auth.List, fn: (*Handler).listObjectsV1, selfAuthorizing: true}
	opListVersions      = &operation{name: "ListObjectVersions", action: auth.List, fn: (*Handler).listObjectVersions, selfAuthorizing: true}
	opDeleteObjects     = &operation{name: "DeleteObjects", action: auth.Delete, fn: (*Handler).deleteObjects, selfAuthorizing: true}
	opPutObject         = &operation{name: "PutObject", action: auth.Put, fn: (*Handler).putObject, sse: true, headers: objectWriteHeaders}
	opCopyObject        = &operation{name: "CopyObject", action: auth.Put, fn: (*Handler).copyObject, sse: true, headers: copyHeaders}
	opGetObject         = &operation{name: "GetObject", action: auth.Get, fn: (*Handler).getObject, sse: true}
	opHeadObject        = &operation{name: "HeadObject", action: auth.Head, fn: (*Handler).headObject, sse: true}
	opDeleteObject      = &operation{name: "DeleteObject", action: auth.Delete, fn: (*Handler).deleteObject}

	// Multipart: managing one's own upload needs put; listing a bucket's
	// uploads needs list.
	opCreateUpload   = &operation{name: "CreateMultipartUpload", action: auth.Put, fn: (*Handler).createMultipartUpload, sse: true, headers: objectWriteHeaders}
	opUploadPart     = &operation{name: "UploadPart", action: auth.Put, fn: (*Handler).uploadPart, sse: true, headers: partHeaders}
	opUploadPartCopy = &operation{name: "UploadPartCopy", action: auth.Put, fn: (*Handler).uploadPartCopy, sse: true, headers: partCopyHeaders}
	opCompleteUpload = &operation{name: "CompleteMultipartUpload", action: auth.Put, fn: (*Handler).completeMultipartUpload, sse: true}
	opAbortUpload    = &operation{name: "AbortMultipartUpload", action: auth.Put, fn: (*Handler).abortMultipartUpload}
	opListParts      = &operation{name: "ListParts", action: auth.Put, fn: (*Handler).listParts}
	opListUploads    = &operation{name: "ListMultipartUploads", action: auth.List, fn: (*Handler).listMultipartUploads, selfAuthorizing: true}
)

func refuse(name string, err *s3err.Error) *operation {
	return &operation{name: name, err: err}
}

// unsupported are S3 sub-resources the gateway does not implement (for
// versioning and versions: but for the reads routeBucket serves first). A
// request naming one is refused rather than mistaken for a plain object or
// bucket request (a GET ?acl must not return the object).
var unsupported = []string{
	"accelerate", "acl", "analytics", "attributes", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging",
	"metrics", "notification", "object-lock", "ownershipControls", "policy",
	"policyStatus", "publicAccessBlock", "replication", "requestPayment",
	"restore", "retention", "select", "tagging", "torrent", "versioning",
	"versions", "website",
}

// route picks the operation for a request.
func route(method, bucket, key string, q url.Values, hdr http.Header) *operation {
	if bucket == "" {
		if method == http.MethodGet {
			return opListBuckets
		}
		return refuse("Unknown", s3err.MethodNotAllowed)
	}
	if key == "" {
		if method == http.MethodPost && len(q) == 0 {
			return opPostObject
		}
		return routeBucket(method, q)
	}
	return routeObject(method, q, hdr)
}

func routeBucket(method string, q url.Values) *operation {
	switch {
	case method == http.MethodGet && q.Has("location"):
		return opGetBucketLocation
	case method == http.MethodGet && q.Has("versioning"):
		return opGetVersioning
	case method == http.MethodPost && q.Has("delete"):
		return opDeleteObjects
	case method == http.MethodGet && q.Has("uploads"):
		return opListUploads
	case method == http.MethodGet && q.Has("versions"):
		return opListVersions
	case q.Has("cors"):
		switch method {
		case http.MethodPut:
			return opPutBucketCors
		case http.MethodGet:
			return opGetBucketCors
		case http.MethodDelete:
			return opDeleteBucketCors
		}
		return refuse("Bucket?cors", s3err.MethodNotAllowed)
	}
	if name := unsupportedIn(q); name != "" {
		return refuse("Bucket?"+name, s3err.NotImplemented)
	}
	switch method {
	case http.MethodPut:
		return opCreateBucket
	case http.MethodHead:
		return opHeadBucket
	case http.MethodDelete:
		return opDeleteBucket
	case http.MethodGet:
		if q.Get("list-type") == "2" {
			return opListObjectsV2
		}
		return opListObjects
	}
	return refuse("Unknown", s3err.MethodNotAllowed)
}

// Object operations by method: plain, and on a multipart upload (?uploadId).
// A PUT with x-amz-copy-source is the copying variant.
var (
	objectOps = map[string]*operation{
		http.MethodPut: opPutObject, http.MethodGet: opGetObject, http.MethodHead: opHeadObject, http.MethodDelete: opDeleteObject,
	}
	uploadOps = map[string]*operation{
		http.MethodPut: opUploadPart, http.MethodPost: opCompleteUpload, http.MethodGet: opListParts, http.MethodDelete: opAbortUpload,
	}
	copyingOps = map[*operation]*operation{opPutObject: opCopyObject, opUploadPart: opUploadPartCopy}
)

func routeObject(method string, q url.Values, hdr http.Header) *operation {
	if name := unsupportedIn(q); name != "" {
		return refuse("Object?"+name, s3err.NotImplemented)
	}
	if q.Has("cors") {
		// A bucket's sub-resource only: not an object request.
		return refuse("Object?cors", s3err.NotImplemented)
	}
	table := objectOps
	switch {
	case q.Has("uploadId"):
		table = uploadOps
	case method == http.MethodPost && q.Has("uploads"):
		return opCreateUpload
	}
	op, ok := table[method]
	if !ok {
		return refuse("Unknown", s3err.MethodNotAllowed)
	}
	if c, ok := copyingOps[op]; ok && hdr.Get("x-amz-copy-source") != "" {
		return c
	}
	return op
}

func unsupportedIn(q url.Values) string {
	for _, name := range unsupported {
		if q.Has(name) {
			return name
		}
	}
	return ""
}
