package upstream

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3gw/gateway/impl/storage"
	"github.com/s3gw/gateway/impl/tenancy"
)

// Registry is a tenancy.Registry in the store's metadata bucket, shared by
// every gateway in front of the store (ADR 002, "Ownership"):
//
//	claims/<bucket>                   the claim (JSON: owner, created), authoritative
//	projects/p<hex(owner)>/<bucket>   an index for listing a project's claims
//
// A claim is written with If-None-Match: *, which the store honours on PUT,
// so of two gateways claiming one name exactly one wins. The index is
// written after the claim and checked against the claims when listed:
// an entry whose claim is gone or another's is dropped, and an owner who
// claims a name again rewrites its entry. Phase 1 does not cache claims:
// every check reads the store (fresh, and failing closed when the store
// cannot be read).
type Registry struct {
	s *Store
}

var _ tenancy.Registry = (*Registry)(nil)

// Registry returns the ownership registry kept in the store's metadata
// bucket.
func (s *Store) Registry() *Registry { return &Registry{s: s} }

type claimRecord struct {
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
}

func claimKey(bucket string) string { return "claims/" + bucket }

func indexPrefix(owner string) string { return "projects/p" + hex.EncodeToString([]byte(owner)) + "/" }

// Owner reads the claim on a name.
func (r *Registry) Owner(ctx context.Context, bucket string) (tenancy.Claim, error) {
	var rec claimRecord
	found, err := r.s.getRecord(ctx, claimKey(bucket), &rec)
	if err != nil {
		return tenancy.Claim{}, fmt.Errorf("owner of %q: %w", bucket, err)
	}
	if !found {
		return tenancy.Claim{}, tenancy.ErrUnclaimed
	}
	return tenancy.Claim{Bucket: bucket, Owner: rec.Owner, Created: rec.Created}, nil
}

// Claim writes the claim unless one exists, then the index entry.
func (r *Registry) Claim(ctx context.Context, bucket, project string) (tenancy.Claim, error) {
	c := tenancy.Claim{Bucket: bucket, Owner: project, Created: nowUTC().Truncate(time.Second)}
	data, err := json.Marshal(claimRecord{Owner: project, Created: c.Created})
	if err != nil {
		return tenancy.Claim{}, err
	}
	_, err = r.s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(r.s.meta),
		Key:           aws.String(claimKey(bucket)),
		Body:          strings.NewReader(string(data)),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("application/json"),
		IfNoneMatch:   aws.String("*"),
	})
	if st := status(err); st == http.StatusPreconditionFailed || st == http.StatusConflict {
		held, oerr := r.Owner(ctx, bucket)
		switch {
		case errors.Is(oerr, tenancy.ErrUnclaimed):
			return tenancy.Claim{}, fmt.Errorf("claim %q: released meanwhile, retry: %w", bucket, errUnavailableClaim)
		case oerr != nil:
			return tenancy.Claim{}, oerr
		case held.Owner == project:
			// Repair the index, in case a crash came between the claim
			// and its entry.
			if err := r.s.putRecord(ctx, indexPrefix(project)+bucket, struct{}{}); err != nil {
				return held, err
			}
			return held, tenancy.ErrOwnedByYou
		}
		return held, tenancy.ErrTaken
	}
	if err != nil {
		return tenancy.Claim{}, mapErr(ctx, err, "claim %q", bucket)
	}
	if err := r.s.putRecord(ctx, indexPrefix(project)+bucket, struct{}{}); err != nil {
		return c, err
	}
	return c, nil
}

// errUnavailableClaim is a claim lost to a concurrent release: the caller
// may retry.
var errUnavailableClaim = fmt.Errorf("upstream: claim changed during the request: %w", storage.ErrUnavailable)

// Release deletes project's claim and its index entry. The claim is
// deleted bound to the ETag read (If-Match), so that a claim made again
// meanwhile by another project survives where the store honours it.
func (r *Registry) Release(ctx context.Context, bucket, project string) error {
	out, err := r.s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.s.meta), Key: aws.String(claimKey(bucket))})
	if status(err) == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return mapErr(ctx, err, "release %q", bucket)
	}
	var rec claimRecord
	err = json.NewDecoder(io.LimitReader(out.Body, 1<<20)).Decode(&rec)
	out.Body.Close()
	if err != nil {
		return fmt.Errorf("upstream: release %q: claim: %w", bucket, err)
	}
	if rec.Owner != project {
		return tenancy.ErrNotOwner
	}
	// The index entry goes first: an entry without a claim is dropped
	// when listed, a claim without its entry would be missing from them.
	r.s.deleteRecords(ctx, indexPrefix(project)+bucket)
	_, err = r.s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.s.meta), Key: aws.String(claimKey(bucket)), IfMatch: out.ETag})
	if err != nil && status(err) != http.StatusNotFound {
		return mapErr(ctx, err, "release %q", bucket)
	}
	return nil
}

// List pages through the project's index (or, for "", every claim),
// keeping only names whose claim is the project's.
func (r *Registry) List(ctx context.Context, project string, opts tenancy.ListOptions) ([]tenancy.Claim, bool, error) {
	base := "claims/"
	if project != "" {
		base = indexPrefix(project)
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(r.s.meta), Prefix: aws.String(base + opts.Prefix)}
	if opts.After != "" {
		in.StartAfter = aws.String(base + opts.After)
	}
	var out []tenancy.Claim
	for {
		page, err := r.s.s3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, false, mapErr(ctx, err, "list claims")
		}
		var names []string
		for _, o := range page.Contents {
			names = append(names, strings.TrimPrefix(aws.ToString(o.Key), base))
		}
		claims, err := r.claims(ctx, project, names)
		if err != nil {
			return nil, false, err
		}
		out = append(out, claims...)
		if opts.Limit > 0 && len(out) > opts.Limit {
			return out[:opts.Limit], true, nil
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, false, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}

// claims reads the claims on names, in order, keeping those of project
// (any, for "") and dropping the index entries they contradict.
func (r *Registry) claims(ctx context.Context, project string, names []string) ([]tenancy.Claim, error) {
	got := make([]tenancy.Claim, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, headConcurrency)
	for i, name := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			got[i], errs[i] = r.Owner(ctx, name)
		})
	}
	wg.Wait()
	var out []tenancy.Claim
	for i, c := range got {
		switch {
		case errors.Is(errs[i], tenancy.ErrUnclaimed) || (errs[i] == nil && project != "" && c.Owner != project):
			if project != "" {
				r.s.deleteRecords(ctx, indexPrefix(project)+names[i])
			}
		case errs[i] != nil:
			return nil, errs[i]
		default:
			out = append(out, c)
		}
	}
	return out, nil
}
