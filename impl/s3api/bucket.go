package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/s3gw/gateway/impl/auth"
	"github.com/s3gw/gateway/impl/s3err"
	"github.com/s3gw/gateway/impl/tenancy"
)

// maxSmallBody bounds request bodies the gateway parses itself (XML).
const maxSmallBody = 2 << 20

func (h *Handler) listBuckets(rq *request) error {
	q := rq.query
	prefix := q.Get("prefix")
	limit := 10000
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return s3err.InvalidArgument.With("max-buckets must be a number from 1 to 10000.")
		}
		limit = n
	}
	after := ""
	if tok := q.Get("continuation-token"); tok != "" {
		var err error
		if after, err = h.decodeToken("", tok); err != nil {
			return err
		}
	}
	p := rq.principal
	res := listAllMyBucketsResult{Xmlns: xmlns, Owner: owner{ID: p.Project, DisplayName: p.Project}, Prefix: prefix}
	res.Buckets = []bucketEntry{}
	project := p.Project
	if p.Anonymous {
		project = "" // development mode: every project's buckets
	}
	var claims []tenancy.Claim
	more := false
	if p.Bucket != "" {
		// A credential scoped to one bucket sees that bucket alone.
		c, err := h.opts.Owners.Owner(rq.r.Context(), p.Bucket)
		switch {
		case errors.Is(err, tenancy.ErrUnclaimed):
		case err != nil:
			return fmt.Errorf("%w (%w)", errOwnerUnknown, err)
		case (p.Anonymous || c.Owner == project) && strings.HasPrefix(c.Bucket, prefix) && c.Bucket > after:
			claims = []tenancy.Claim{c}
		}
	} else {
		var err error
		claims, more, err = h.opts.Owners.List(rq.r.Context(), project, tenancy.ListOptions{Prefix: prefix, After: after, Limit: limit})
		if err != nil {
			return fmt.Errorf("%w (%w)", errOwnerUnknown, err)
		}
	}
	for _, c := range claims {
		res.Buckets = append(res.Buckets, bucketEntry{Name: c.Bucket, CreationDate: isoTime(c.Created), BucketRegion: h.opts.Region})
	}
	if more && len(res.Buckets) > 0 {
		res.ContinuationToken = h.encodeToken("", res.Buckets[len(res.Buckets)-1].Name)
	}
	h.writeXML(rq, http.StatusOK, res)
	return nil
}

func (h *Handler) createBucket(rq *request) error {
	// Scope only: a name another project owns is BucketAlreadyExists, as
	// in S3's global namespace, not AccessDenied.
	if err := rq.principal.Authorize(auth.Put, rq.bucket, ""); err != nil {
		return err
	}
	if err := h.checkBucketName(rq.bucket); err != nil {
		return err
	}
	if err := createBucketHeaders(rq.r.Header); err != nil {
		return err
	}
	var cfg createBucketConfiguration
	if rq.r.ContentLength != 0 {
		body, err := readSmallBody(rq.r)
		if err != nil {
			return err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := xml.Unmarshal(body, &cfg); err != nil {
				return s3err.MalformedXML
			}
			if cfg.Tags != nil && len(cfg.Tags.Tags) > 0 {
				return s3err.NotImplemented.With("Bucket tags are not implemented: create the bucket without Tags.")
			}
		}
	}
	if err := h.checkLocationConstraint(cfg.LocationConstraint); err != nil {
		return err
	}
	if err := h.buckets.Create(rq.r.Context(), rq.bucket, rq.principal.Project); err != nil {
		return err
	}
	rq.w.Header().Set("Location", "/"+rq.bucket)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// checkLocationConstraint refuses a CreateBucket constraint ("" for none)
// this gateway cannot honour. S3's us-east-1 takes none, and not its own
// name (400 InvalidLocationConstraint, naming the value); every other
// endpoint needs its own region. Another region is refused as S3's
// regional endpoints refuse it: S3's us-east-1 would create the bucket
// there, which a single-region gateway cannot.
func (h *Handler) checkLocationConstraint(c string) error {
	region := h.opts.Region
	switch {
	case c == "" && region == "us-east-1":
		return nil
	case c == "":
		c = "unspecified"
	case region == "us-east-1" && c == "us-east-1":
		return (&s3err.Error{Code: "InvalidLocationConstraint", Status: http.StatusBadRequest,
			Message: "The specified location-constraint is not valid"}).WithDetails(s3err.Detail{Name: "LocationConstraint", Value: c})
	case c == region:
		return nil
	}
	return &s3err.Error{Code: "IllegalLocationConstraintException", Status: http.StatusBadRequest,
		Message: "The " + c + " location constraint is incompatible for the region specific endpoint this request was sent to."}
}

func (h *Handler) headBucket(rq *request) error {
	if _, err := h.opts.Backend.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	rq.w.Header().Set("x-amz-bucket-region", h.opts.Region)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(rq *request) error {
	if err := h.buckets.Delete(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	h.cors.forget(rq.bucket)
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getBucketLocation(rq *request) error {
	if _, err := h.opts.Backend.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	// S3 reports us-east-1 as an empty constraint.
	region := h.opts.Region
	if region == "us-east-1" {
		region = ""
	}
	h.writeXML(rq, http.StatusOK, locationConstraint{Xmlns: xmlns, Value: region})
	return nil
}

func (h *Handler) getBucketVersioning(rq *request) error {
	if _, err := h.opts.Backend.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	h.writeXML(rq, http.StatusOK, versioningConfiguration{Xmlns: xmlns})
	return nil
}

// readSmallBody reads a body the gateway parses, refusing oversized ones.
func readSmallBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxSmallBody {
		return nil, s3err.MalformedXML.With("The XML you provided was larger than the maximum allowed.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSmallBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxSmallBody {
		return nil, s3err.MalformedXML.With("The XML you provided was larger than the maximum allowed.")
	}
	return body, nil
}

// bucketOwner returns the owner to report for an existing bucket.
func (h *Handler) bucketOwner(rq *request) (*owner, error) {
	c := rq.claim
	if !rq.checked {
		var err error
		if c, err = h.opts.Owners.Owner(rq.r.Context(), rq.bucket); err != nil && !errors.Is(err, tenancy.ErrUnclaimed) {
			return nil, fmt.Errorf("%w (%w)", errOwnerUnknown, err)
		}
	}
	return &owner{ID: c.Owner, DisplayName: c.Owner}, nil
}
