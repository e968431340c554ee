package conformance

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// Multipart uploads: the lifecycle (CreateMultipartUpload, UploadPart,
// UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload), the rules
// S3 enforces at completion, reads of the completed object by range and by
// part number, additional checksums of multipart objects, and conditional
// completion. Listing uploads and parts is in cases_multipart_list.go.
//
// What the cases rely on, from the AWS API reference and from servers that
// measured real S3:
//   - A multipart object's ETag is the hex MD5 of the concatenated binary MD5s
//     of its parts, then "-" and the number of parts, quoted.
//   - Part numbers are 1..10000; anything else (0, 10001, -1, not a number)
//     is 400 InvalidArgument "Part number must be an integer between 1 and
//     10000, inclusive" (riak_cs#945 and fake-s3#238 quote S3's answer).
//   - Every part but the last must be at least 5 MiB, else Complete answers
//     400 EntityTooSmall; parts must be listed in ascending order, else 400
//     InvalidPartOrder, which S3 also answers for a part listed twice
//     (scality/cloudserver's AWS-compatible functional suite, case
//     [3, 3, 1000]); a part that was not uploaded, or an ETag or part
//     checksum that does not match it, is 400 InvalidPart (versitygw's
//     integration suite, run against S3); a Complete body without parts is
//     400 MalformedXML (ceph/s3-tests test_multipart_upload_empty).
//   - An upload id unknown to the bucket and key is 404 NoSuchUpload for
//     UploadPart, ListParts, Complete and Abort; Abort answers 204.
//   - UploadPartCopy with an x-amz-copy-source-range beyond the source is
//     400 InvalidArgument "Range specified is not valid for source object of
//     size: N" (versitygw#610 and s3fs#321 quote S3).
//   - GetObject ?partNumber=N reads part N alone with 206, Content-Range and
//     x-amz-mp-parts-count; HeadObject with a part number reports its size
//     and the parts count.
//   - With ChecksumAlgorithm CRC32 the object's checksum is COMPOSITE by
//     default: the CRC32 of the concatenated binary part CRC32s, in base64,
//     then "-N"; with ChecksumType FULL_OBJECT it is the CRC32 of all the
//     bytes; CRC64NVME is always FULL_OBJECT. With part checksums, part
//     numbers must start at 1 and be consecutive, so those cases use 1..N.
//   - CompleteMultipartUpload honours If-None-Match: * with 412
//     PreconditionFailed when the key exists; only a 409 conflict ends the
//     upload (the AWS reference tells a client to re-initiate after a 409,
//     not after a 412).

const (
	mpMiB     = 1 << 20
	mpMinPart = 5 * mpMiB // 5242880: the smallest part that may precede another
)

// mpNoUpload is a well-formed upload id that no upload has.
const mpNoUpload = "VXBsb2FkIElEIGZvciBubyB1cGxvYWQgYXQgYWxs"

// mpData returns n deterministic pseudo-random bytes for a seed.
func mpData(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// mpETag returns S3's ETag for an object completed from these parts.
func mpETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		sum := md5.Sum(p)
		h.Write(sum[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

// mpConcat returns the parts joined, in order.
func mpConcat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// mpWantBytes fails the case unless got equals want, naming the first
// difference rather than printing megabytes.
func mpWantBytes(t T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Fatalf("%s: %d bytes, want %d; they first differ at offset %d", what, len(got), len(want), i)
}

// mpAbortAtEnd aborts an upload when the case ends, if it is still in
// progress, so that no upload outlives its bucket.
func mpAbortAtEnd(t T, e *Env, bucket, key, id string) {
	t.Cleanup(func() {
		_, _ = e.SDK.AbortMultipartUpload(context.Background(), &s3.AbortMultipartUploadInput{
			Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		})
	})
}

// mpCreate starts an upload through the SDK, with the options applied to
// the input, and returns its id.
func mpCreate(t T, e *Env, bucket, key string, opts ...func(*s3.CreateMultipartUploadInput)) string {
	t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	for _, o := range opts {
		o(in)
	}
	out, err := e.SDK.CreateMultipartUpload(t.Context(), in)
	mustf(t, err, "CreateMultipartUpload %s/%s", bucket, key)
	id := aws.ToString(out.UploadId)
	if id == "" {
		t.Fatalf("CreateMultipartUpload %s/%s returned no UploadId", bucket, key)
	}
	mpAbortAtEnd(t, e, bucket, key, id)
	return id
}

// mpWithChecksum is a CreateMultipartUpload option: ChecksumAlgorithm alg
// and, unless typ is "", ChecksumType typ.
func mpWithChecksum(alg types.ChecksumAlgorithm, typ types.ChecksumType) func(*s3.CreateMultipartUploadInput) {
	return func(in *s3.CreateMultipartUploadInput) {
		in.ChecksumAlgorithm = alg
		in.ChecksumType = typ
	}
}

// mpUploadPartErr uploads one part through the SDK.
func mpUploadPartErr(t T, e *Env, bucket, key, id string, n int32, body []byte) (*s3.UploadPartOutput, error) {
	return e.SDK.UploadPart(t.Context(), &s3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(body),
	})
}

// mpUploadPart uploads one part through the SDK and returns its ETag.
func mpUploadPart(t T, e *Env, bucket, key, id string, n int32, body []byte) string {
	t.Helper()
	out, err := mpUploadPartErr(t, e, bucket, key, id, n, body)
	mustf(t, err, "UploadPart %d of %s/%s (%d bytes)", n, bucket, key, len(body))
	return aws.ToString(out.ETag)
}

// mpRawUploadPart starts a raw UploadPart of part partNumber (as sent, so
// possibly not a number).
func mpRawUploadPart(e *Env, bucket, key, id, partNumber string) *httpexpect.Request {
	return e.Request(http.MethodPut, bucket, key).WithQuery("partNumber", partNumber).WithQuery("uploadId", id)
}

// mpAbortErr aborts an upload through the SDK.
func mpAbortErr(t T, e *Env, bucket, key, id string) error {
	_, err := e.SDK.AbortMultipartUpload(t.Context(), &s3.AbortMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
	})
	return err
}

// mpUploadAll uploads the parts as parts 1..N and returns their ETags.
func mpUploadAll(t T, e *Env, bucket, key, id string, parts ...[]byte) []string {
	t.Helper()
	etags := make([]string, len(parts))
	for i, p := range parts {
		etags[i] = mpUploadPart(t, e, bucket, key, id, int32(i+1), p)
	}
	return etags
}

// mpCompleted lists parts 1..N with these ETags for Complete.
func mpCompleted(etags ...string) []types.CompletedPart {
	out := make([]types.CompletedPart, len(etags))
	for i, et := range etags {
		out[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(et)}
	}
	return out
}

// mpPart is one CompletedPart.
func mpPart(n int32, etag string) types.CompletedPart {
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
}

// mpCompleteInput is a CompleteMultipartUpload of an upload naming parts.
func mpCompleteInput(bucket, key, id string, parts []types.CompletedPart) *s3.CompleteMultipartUploadInput {
	return &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
}

// mpCompleteErr completes an upload through the SDK.
func mpCompleteErr(t T, e *Env, bucket, key, id string, parts []types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	return e.SDK.CompleteMultipartUpload(t.Context(), mpCompleteInput(bucket, key, id, parts))
}

// mpComplete completes an upload and fails the case on error.
func mpComplete(t T, e *Env, bucket, key, id string, parts []types.CompletedPart) *s3.CompleteMultipartUploadOutput {
	t.Helper()
	out, err := mpCompleteErr(t, e, bucket, key, id, parts)
	mustf(t, err, "CompleteMultipartUpload %s/%s", bucket, key)
	return out
}

// mpPut stores an object as a multipart upload of these parts and returns
// the ETag CompleteMultipartUpload gave it.
func mpPut(t T, e *Env, bucket, key string, parts ...[]byte) string {
	t.Helper()
	id := mpCreate(t, e, bucket, key)
	etags := mpUploadAll(t, e, bucket, key, id, parts...)
	return aws.ToString(mpComplete(t, e, bucket, key, id, mpCompleted(etags...)).ETag)
}

// mpListPartsErr runs ListParts through the SDK.
func mpListPartsErr(t T, e *Env, bucket, key, id string) (*s3.ListPartsOutput, error) {
	return e.SDK.ListParts(t.Context(), &s3.ListPartsInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
	})
}

// mpPartsListed returns the parts ListParts lists for an upload, failing
// the case on error.
func mpPartsListed(t T, e *Env, bucket, key, id string) []types.Part {
	t.Helper()
	out, err := mpListPartsErr(t, e, bucket, key, id)
	mustf(t, err, "ListParts %s/%s", bucket, key)
	return out.Parts
}

// mpCompleteXML is a CompleteMultipartUpload body naming parts 1..N with
// these ETags.
func mpCompleteXML(etags ...string) string {
	var b strings.Builder
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for i, et := range etags {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, et)
	}
	b.WriteString(`</CompleteMultipartUpload>`)
	return b.String()
}

// mpRawComplete sends a raw CompleteMultipartUpload with this body.
func mpRawComplete(e *Env, bucket, key, id, body string) *httpexpect.Response {
	return e.Request(http.MethodPost, bucket, key).WithQuery("uploadId", id).
		WithHeader("Content-Type", "application/xml").WithText(body).Expect()
}

// mpUploadListed reports whether ListMultipartUploads lists the upload.
func mpUploadListed(t T, e *Env, bucket, id string) bool {
	t.Helper()
	out, err := e.SDK.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	mustf(t, err, "ListMultipartUploads %s", bucket)
	for _, u := range out.Uploads {
		if aws.ToString(u.UploadId) == id {
			return true
		}
	}
	return false
}

// mpCRC32 is the big-endian CRC32 (IEEE) of b, as S3 carries it.
func mpCRC32(b []byte) []byte { return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)) }

// mpB64 is standard base64.
func mpB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// mpCompositeCRC32 is S3's COMPOSITE CRC32 of an object of these parts: the
// CRC32 of the concatenated binary part CRC32s, then "-N".
func mpCompositeCRC32(parts ...[]byte) string { return mpComposite("CRC32", parts...) }

// mpComposite is S3's COMPOSITE checksum of algorithm alg (upper case) of an
// object of these parts: the checksum of the concatenated binary part
// checksums, in base64, then "-N".
func mpComposite(alg string, parts ...[]byte) string {
	whole := cksHash(alg)
	for _, p := range parts {
		h := cksHash(alg)
		h.Write(p)
		whole.Write(h.Sum(nil))
	}
	return fmt.Sprintf("%s-%d", mpB64(whole.Sum(nil)), len(parts))
}

// mpUploadChecksummed uploads the parts as parts 1..N, each with a checksum
// of algorithm alg (computed by the SDK when it can, else sent as a value),
// and returns them as Complete names them: ETag and the part checksum the
// server returned. With checkParts, each part's checksum must be the one
// computed here.
func mpUploadChecksummed(t T, e *Env, bucket, key, id string, alg types.ChecksumAlgorithm, checkParts bool, parts ...[]byte) []types.CompletedPart {
	t.Helper()
	done := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		n := int32(i + 1)
		in := &s3.UploadPartInput{
			Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
			PartNumber: aws.Int32(n), Body: bytes.NewReader(p), ChecksumAlgorithm: alg,
		}
		for _, a := range cksAlgorithms {
			if a.alg == alg && !a.sdk {
				cksSet(string(alg), in, cksValue(string(alg), p))
			}
		}
		out, err := e.SDK.UploadPart(t.Context(), in)
		mustf(t, err, "UploadPart %d", n)
		if checkParts {
			eq(t, fmt.Sprintf("part %d Checksum%s", n, alg), cksOf(string(alg), out), cksValue(string(alg), p))
		}
		done[i] = types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag}
		cksSet(string(alg), &done[i], cksOf(string(alg), out))
	}
	return done
}

// mpWantChecksum fails the case unless Complete's answer out, then
// HeadObject of bucket/key in checksum mode, report the object checksum
// want of algorithm alg and the checksum type typ.
func mpWantChecksum(t T, e *Env, bucket, key string, out *s3.CompleteMultipartUploadOutput, alg types.ChecksumAlgorithm, want string, typ types.ChecksumType) {
	t.Helper()
	eq(t, "Complete Checksum"+string(alg), cksOf(string(alg), out), want)
	eq(t, "Complete ChecksumType", out.ChecksumType, typ)
	head, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled,
	})
	mustf(t, err, "HeadObject in checksum mode")
	eq(t, "HeadObject Checksum"+string(alg), cksOf(string(alg), head), want)
	eq(t, "HeadObject ChecksumType", head.ChecksumType, typ)
}

// mpCopyPartErr runs UploadPartCopy of source ("bucket/key") as part n,
// with x-amz-copy-source-range rng unless it is "".
func mpCopyPartErr(t T, e *Env, bucket, key, id string, n int32, source, rng string) (*s3.UploadPartCopyOutput, error) {
	in := &s3.UploadPartCopyInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), CopySource: aws.String(source),
	}
	if rng != "" {
		in.CopySourceRange = aws.String(rng)
	}
	return e.SDK.UploadPartCopy(t.Context(), in)
}

// mpCopyPart is mpCopyPartErr failing the case on error or on an answer
// without a CopyPartResult; it returns the part's ETag.
func mpCopyPart(t T, e *Env, bucket, key, id string, n int32, source, rng string) string {
	t.Helper()
	cp, err := mpCopyPartErr(t, e, bucket, key, id, n, source, rng)
	mustf(t, err, "UploadPartCopy part %d", n)
	if cp.CopyPartResult == nil {
		t.Fatalf("UploadPartCopy part %d returned no CopyPartResult", n)
	}
	return aws.ToString(cp.CopyPartResult.ETag)
}

// mpThreeParts are the parts of the object the read cases store: two
// minimum-size parts and a short last one.
func mpThreeParts() [][]byte {
	return [][]byte{mpData(101, mpMinPart), mpData(102, mpMinPart), mpData(103, 1000)}
}

func init() {
	register(
		Case{
			ID: "multipart/lifecycle/roundtrip", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "GetObject", "HeadObject"),
			Desc: "an object completed from three parts reads back as their concatenation, with S3's multipart ETag from Complete, GetObject and HeadObject",
			Run:  multipartLifecycleRoundtrip,
		},
		Case{
			ID: "multipart/upload-part/etag", Feature: Multipart, Ops: ops("UploadPart"),
			Desc: "UploadPart answers with the part's ETag: the quoted hex MD5 of its bytes",
			Run:  multipartUploadPartEtag,
		},
		Case{
			ID: "multipart/lifecycle/metadata-and-content-type", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "CompleteMultipartUpload", "HeadObject"),
			Desc: "the Content-Type and user metadata given to CreateMultipartUpload are the completed object's",
			Run:  multipartLifecycleMetadataAndContentType,
		},
		Case{
			ID: "multipart/lifecycle/invisible-until-complete", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "HeadObject", "ListObjectsV2", "CompleteMultipartUpload"),
			Desc: "an upload with parts is no object until completed: HeadObject answers 404 and ListObjectsV2 does not list the key; after Complete both find it",
			Run:  multipartLifecycleInvisibleUntilComplete,
		},
		Case{
			ID: "multipart/lifecycle/upload-gone-after-complete", Feature: Multipart,
			Ops:  ops("CompleteMultipartUpload", "ListMultipartUploads", "ListParts"),
			Desc: "a completed upload is no longer listed by ListMultipartUploads, and ListParts on it answers 404 NoSuchUpload",
			Run:  multipartLifecycleUploadGoneAfterComplete,
		},
		Case{
			ID: "multipart/lifecycle/replaces-existing-object", Feature: Multipart,
			Ops:  ops("PutObject", "CompleteMultipartUpload", "GetObject"),
			Desc: "completing an upload onto an existing key replaces the object",
			Run:  multipartLifecycleReplacesExistingObject,
		},
		Case{
			ID: "multipart/complete/single-small-part", Feature: Multipart,
			Ops:  ops("UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "an upload of one part smaller than 5 MiB completes; its ETag is the multipart ETag with -1",
			Run:  multipartCompleteSingleSmallPart,
		},
		Case{
			ID: "multipart/complete/min-part-size-boundary", Feature: Multipart,
			Ops:  ops("UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "a first part of exactly 5 MiB (5242880 bytes) followed by a 1-byte last part completes",
			Run:  multipartCompleteMinPartSizeBoundary,
		},
		Case{
			ID: "multipart/upload-part/replaces-same-number", Feature: Multipart,
			Ops:  ops("UploadPart", "ListParts", "CompleteMultipartUpload", "GetObject"),
			Desc: "uploading a part number again replaces the part: ListParts shows the new ETag and size, Complete with the old ETag answers 400 InvalidPart, with the new one it builds the object from the new bytes",
			Run:  multipartUploadPartReplacesSameNumber,
		},
		Case{
			ID: "multipart/complete/unlisted-parts-discarded", Feature: Multipart,
			Ops:  ops("UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "parts uploaded but not listed in Complete are not in the object: its size is that of the listed parts",
			Run:  multipartCompleteUnlistedPartsDiscarded,
		},
		Case{
			ID: "multipart/complete/gaps-in-part-numbers", Feature: Multipart,
			Ops:  ops("UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "part numbers need not be consecutive (without part checksums): parts 2, 5 and 9 make an object of their bytes in that order",
			Run:  multipartCompleteGapsInPartNumbers,
		},
		Case{
			ID: "multipart/upload-id/other-key", Feature: Multipart,
			Ops:  ops("UploadPart", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload"),
			Desc: "an upload id used with a key other than its own answers 404 NoSuchUpload for UploadPart, ListParts, Complete and Abort, and the upload is unharmed",
			Run:  multipartUploadIdOtherKey,
		},
		Case{
			ID: "multipart/abort/then-no-such-upload", Feature: Multipart,
			Ops:  ops("AbortMultipartUpload", "ListParts", "UploadPart", "CompleteMultipartUpload", "ListMultipartUploads"),
			Desc: "AbortMultipartUpload answers 204; afterwards the upload is not listed, creates no object, ListParts, UploadPart and Complete answer 404 NoSuchUpload, and a repeated Abort answers 204 again",
			Run:  multipartAbortThenNoSuchUpload,
		},
		Case{
			ID: "multipart/tenancy/other-project", Feature: Tenancy,
			Ops:  ops("UploadPart", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload", "ListMultipartUploads"),
			Desc: "another project's credentials using an upload id in this project's bucket get 403 AccessDenied for UploadPart, ListParts, Complete, Abort and ListMultipartUploads, and the upload is unharmed",
			Run:  multipartTenancyOtherProject,
		},
		Case{
			ID: "multipart/read/range-across-parts", Feature: Multipart, Ops: ops("GetObject"),
			Desc: "Range reads of a multipart object spanning parts 1-2, parts 2-3 and a suffix range return the right bytes and Content-Range",
			Run:  multipartReadRangeAcrossParts,
		},
		Case{
			ID: "multipart/read/get-part-number", Feature: Multipart, Ops: ops("GetObject"),
			Desc: "GetObject ?partNumber=2 of a three-part object answers 206 with exactly part 2, its Content-Range, x-amz-mp-parts-count 3 and the object's ETag",
			Run:  multipartReadGetPartNumber,
		},
		Case{
			ID: "multipart/read/head-part-number", Feature: Multipart, Ops: ops("HeadObject"),
			Desc: "HeadObject with a part number reports that part's size and the object's parts count",
			Run:  multipartReadHeadPartNumber,
		},
		Case{
			ID: "multipart/upload-part-copy/whole-object", Feature: Multipart,
			Ops:  ops("UploadPartCopy", "CompleteMultipartUpload", "GetObject"),
			Desc: "UploadPartCopy of a whole small object makes it a part, with its MD5 as the part's ETag; the completed object is the concatenation",
			Run:  multipartUploadPartCopyWholeObject,
		},
		Case{
			ID: "multipart/upload-part-copy/range", Feature: Multipart,
			Ops:  ops("UploadPartCopy", "CompleteMultipartUpload", "GetObject"),
			Desc: "UploadPartCopy with x-amz-copy-source-range copies exactly those bytes: two ranges of one source complete into their concatenation",
			Run:  multipartUploadPartCopyRange,
		},
		Case{
			ID: "multipart/upload-part-copy/range-beyond-source", Feature: Multipart,
			Ops:  ops("UploadPartCopy", "ListParts"),
			Desc: "UploadPartCopy with a copy-source range that ends past the source answers 400 InvalidArgument and adds no part",
			Run:  multipartUploadPartCopyRangeBeyondSource,
		},
		Case{
			ID: "multipart/upload-part-copy/range-boundaries", Feature: Multipart,
			Ops:  ops("UploadPartCopy", "ListParts"),
			Desc: "x-amz-copy-source-range is inclusive at both ends: a one-byte range and one ending at the source's last byte copy exactly, one ending a byte past it answers 400 InvalidArgument",
			Run:  multipartUploadPartCopyRangeBoundaries,
		},
		Case{
			ID: "multipart/list-parts/checksum-algorithm", Feature: Multipart, Ops: ops("CreateMultipartUpload", "ListParts"),
			Desc: "ListParts answers the checksum algorithm and type of an upload created with CRC32 (COMPOSITE, its default)",
			Run:  multipartListPartsChecksumAlgorithm,
		},
		Case{
			ID: "multipart/create/response", Feature: Multipart, Ops: ops("CreateMultipartUpload"),
			Desc: "POST ?uploads answers 200 with an InitiateMultipartUploadResult naming the bucket, the key and a non-empty UploadId",
			Run:  multipartCreateResponse,
		},
		Case{
			ID: "multipart/complete/response", Feature: Multipart, Ops: ops("CompleteMultipartUpload"),
			Desc: "a raw Complete answers 200 with a CompleteMultipartUploadResult naming the bucket, the key, a Location and the multipart ETag",
			Run:  multipartCompleteResponse,
		},
	)

	// Raw UploadParts S3 refuses with 400: a part number outside 1..10000,
	// or not a number at all, and a body that does not match its digest.
	refused := []mpPartRefusal{
		{id: "multipart/upload-part/content-md5-mismatch",
			desc:       "UploadPart whose Content-MD5 does not match the body answers 400 BadDigest and stores no part",
			partNumber: "1", header: "Content-MD5", value: contentMD5([]byte("something else")),
			body: "the part", code: "BadDigest"},
		{id: "multipart/checksum/upload-part-bad-digest",
			desc:       "UploadPart whose x-amz-checksum-crc32 does not match the body answers 400 BadDigest and stores no part",
			partNumber: "1", header: "x-amz-checksum-crc32", value: mpB64(mpCRC32([]byte("another body"))),
			body: "the part's body", code: "BadDigest",
			opts: []func(*s3.CreateMultipartUploadInput){mpWithChecksum(types.ChecksumAlgorithmCrc32, "")}},
	}
	for _, pn := range []string{"0", "10001", "-1", "abc"} {
		refused = append(refused, mpPartRefusal{id: "multipart/upload-part/part-number-" + slug(pn),
			desc:       "UploadPart with partNumber=" + pn + " answers 400 InvalidArgument and stores no part",
			partNumber: pn, body: "part body", code: "InvalidArgument"})
	}
	for _, c := range refused {
		register(Case{
			ID: c.id, Feature: Multipart, Ops: ops("UploadPart", "ListParts"), Desc: c.desc,
			Run: multipartUploadPartRefused(c),
		})
	}

	register(Case{
		ID: "multipart/upload-part/part-number-10000", Feature: Multipart,
		Ops:  ops("UploadPart", "ListParts", "CompleteMultipartUpload", "GetObject"),
		Desc: "part number 10000, the highest S3 allows, is accepted, listed, and completes an object on its own",
		Run:  multipartUploadPartPartNumber10000,
	})

	// Completions S3 refuses with 400, creating nothing.
	for _, c := range []struct {
		name, desc, code string
		ops              []string
		parts            func() [][]byte // uploaded as parts 1..N
		list             func(etags []string) []types.CompletedPart
	}{
		{"entity-too-small", "Complete with a part of 5 MiB minus one byte that is not the last answers 400 EntityTooSmall and creates nothing",
			"EntityTooSmall", ops("UploadPart", "CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(3, mpMinPart-1), []byte("last")} },
			func(et []string) []types.CompletedPart { return mpCompleted(et...) }},
		{"out-of-order", "Complete listing part 2 before part 1 (both of 5 MiB, so only the order is wrong) answers 400 InvalidPartOrder",
			"InvalidPartOrder", ops("CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(4, mpMinPart), mpData(14, mpMinPart)} },
			func(et []string) []types.CompletedPart {
				return []types.CompletedPart{mpPart(2, et[1]), mpPart(1, et[0])}
			}},
		{"duplicate-part", "Complete listing the same part number twice answers 400 InvalidPartOrder",
			"InvalidPartOrder", ops("CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(5, mpMinPart), []byte("last")} },
			func(et []string) []types.CompletedPart {
				return []types.CompletedPart{mpPart(1, et[0]), mpPart(1, et[0]), mpPart(2, et[1])}
			}},
		{"wrong-etag", "Complete naming an uploaded part with an ETag that is not its own answers 400 InvalidPart",
			"InvalidPart", ops("CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(6, mpMinPart), []byte("last")} },
			func(et []string) []types.CompletedPart { return mpCompleted(et[0], wrongETag) }},
		{"part-not-uploaded", "Complete naming a part number that was never uploaded answers 400 InvalidPart",
			"InvalidPart", ops("CompleteMultipartUpload"),
			func() [][]byte { return [][]byte{mpData(8, mpMinPart)} },
			func(et []string) []types.CompletedPart { return mpCompleted(et[0], md5ETag([]byte("never uploaded"))) }},
	} {
		register(Case{
			ID: "multipart/complete/" + c.name, Feature: Multipart, Ops: c.ops, Desc: c.desc,
			Run: multipartCompleteRefused(c.code, c.parts, c.list),
		})
	}

	// Complete bodies S3 refuses with 400 MalformedXML, creating nothing.
	for _, c := range []struct {
		name, desc string
		body       func(etags []string) string
	}{
		{"empty-part-list", "Complete whose body lists no parts answers 400 MalformedXML",
			func([]string) string { return mpCompleteXML() }},
		{"malformed-xml", "Complete whose body is not well-formed XML answers 400 MalformedXML",
			func(et []string) string {
				return `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + et[0] + `</ETag>`
			}},
	} {
		register(Case{
			ID: "multipart/complete/" + c.name, Feature: Multipart, Ops: ops("CompleteMultipartUpload"), Desc: c.desc,
			Run: multipartCompleteMalformed(c.body),
		})
	}

	// An upload id the bucket never issued.
	for _, c := range mpUploadIDCalls {
		register(Case{
			ID: "multipart/unknown-upload/" + slug(c.op), Feature: Multipart, Ops: ops(c.op),
			Desc: c.op + " with an upload id the bucket never issued answers 404 NoSuchUpload",
			Run:  multipartUnknownUpload(c),
		})
	}

	// A bucket that does not exist is reported before the upload: S3
	// resolves the bucket first, as for GetObject (buckets/missing/*).
	// versity/versitygw's integration suite, run against S3, expects
	// NoSuchBucket for UploadPart, UploadPartCopy and AbortMultipartUpload
	// (UploadPart_non_existing_bucket, UploadPartCopy_non_existing_bucket,
	// AbortMultipartUpload_non_existing_bucket); ListParts and
	// CompleteMultipartUpload address the upload the same way.
	for _, c := range append(mpUploadIDCalls, mpUploadIDCall{"UploadPartCopy", func(t T, e *Env, b string) error {
		src := e.NewBucket()
		e.PutString(src, "src", "source")
		_, err := mpCopyPartErr(t, e, b, "k", mpNoUpload, 1, src+"/src", "")
		return err
	}}) {
		register(Case{
			ID: "multipart/missing-bucket/" + slug(c.op), Feature: Multipart, Ops: ops(c.op),
			Desc: c.op + " in a bucket that does not exist answers 404 NoSuchBucket, not NoSuchUpload, and creates no bucket",
			Run:  multipartMissingBucket(c),
		})
	}

	register(Case{
		ID: "multipart/error-document/invalid-part-number", Feature: Multipart, Ops: ops("UploadPart", "ListParts"),
		Desc: "UploadPart with partNumber 0 or 10001 answers InvalidArgument with S3's message and the part number in ArgumentName and ArgumentValue",
		Run:  multipartErrorDocumentInvalidPartNumber,
	})

	register(Case{
		ID: "multipart/read/invalid-part-number-before-key", Feature: Multipart, Ops: ops("GetObject", "HeadObject"),
		Desc: "GetObject and HeadObject with partNumber=0 or -3 answer 400 even when the key does not exist: the argument is checked before the key is looked up",
		Run:  multipartReadInvalidPartNumberBeforeKey,
	})

	register(
		Case{
			ID: "multipart/manager/upload", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "GetObject"),
			Desc: "the SDK's upload manager (feature/s3/manager) sends 26 MiB in 5 MiB parts, 4 at a time; the object reads back byte for byte with the multipart ETag of six parts",
			Run:  multipartManagerUpload,
		},
		Case{
			ID: "multipart/manager/download", Feature: Multipart, Ops: ops("GetObject"),
			Desc: "the SDK's download manager reads a multipart object back with concurrent 4 MiB ranged GETs that cross part boundaries, byte for byte",
			Run:  multipartManagerDownload,
		},
	)

	// Additional checksums of multipart objects.
	register(
		Case{
			ID: "multipart/checksum/crc32-composite", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "HeadObject", "GetObject"),
			Desc: "an upload with ChecksumAlgorithm CRC32 and part CRC32s completes with the COMPOSITE checksum (CRC32 of the part CRC32s, -N), which HeadObject and GetObject return in checksum mode",
			Run:  multipartChecksumCrc32Composite,
		},
		Case{
			ID: "multipart/checksum/create-answers-algorithm", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload"),
			Desc: "CreateMultipartUpload answers the upload's checksum algorithm and type (CRC32 defaults to COMPOSITE, CRC64NVME to FULL_OBJECT), and none for an upload without one",
			Run:  multipartChecksumCreateAnswersAlgorithm,
		},
		Case{
			ID: "multipart/checksum/crc32-full-object", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "HeadObject"),
			Desc: "an upload with CRC32 and ChecksumType FULL_OBJECT completes with the CRC32 of all the object's bytes, which HeadObject returns in checksum mode",
			Run:  multipartChecksumCrc32FullObject,
		},
		Case{
			ID: "multipart/checksum/crc64nvme-full-object", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "HeadObject"),
			Desc: "an upload with ChecksumAlgorithm CRC64NVME and no checksum type is FULL_OBJECT: it completes with the CRC64NVME of all the bytes",
			Run:  multipartChecksumCrc64nvmeFullObject,
		},
		Case{
			ID: "multipart/checksum/composite-every-algorithm", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "HeadObject"),
			Desc: "for every algorithm but CRC64NVME, an upload created with it completes with the COMPOSITE checksum: the algorithm over the parts' binary checksums, then -N",
			Run:  multipartChecksumCompositeEveryAlgorithm,
		},
		Case{
			ID: "multipart/checksum/part-without-checksum-composite", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "ListParts"),
			Desc: "an UploadPart without a checksum to an upload created with a COMPOSITE algorithm (SHA256, XXHASH64) gives 400 InvalidRequest and records no part",
			Run:  multipartChecksumPartWithoutChecksumComposite,
		},
		Case{
			ID: "multipart/checksum/part-without-checksum-full-object", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "HeadObject"),
			Desc: "parts sent without a checksum to a FULL_OBJECT CRC32C upload are accepted, and the upload completes with the CRC32C of all the bytes",
			Run:  multipartChecksumPartWithoutChecksumFullObject,
		},
		Case{
			ID: "multipart/checksum/complete-full-object-value", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "ListParts", "HeadObject"),
			Desc: "Complete of a FULL_OBJECT CRC32 upload with an x-amz-checksum-crc32 that is not the object's gives 400 BadDigest, creates nothing and keeps the upload; with the right value it completes",
			Run:  multipartChecksumCompleteFullObjectValue,
		},
		Case{
			ID: "multipart/checksum/complete-type-mismatch", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "ListParts"),
			Desc: "Complete with an x-amz-checksum-type other than the upload's (FULL_OBJECT for a COMPOSITE CRC32 upload) gives 400 BadDigest, creates nothing and keeps the upload",
			Run:  multipartChecksumCompleteTypeMismatch,
		},
		Case{
			ID: "multipart/complete/mp-object-size", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "ListParts", "GetObject"),
			Desc: "Complete with an x-amz-mp-object-size other than the parts' total gives 400 InvalidRequest, creates nothing and keeps the upload; with the total it completes",
			Run:  multipartCompleteMpObjectSize,
		},
		Case{
			ID: "multipart/checksum/no-algorithm-default", Feature: Multipart,
			Ops:  ops("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"),
			Desc: "an upload created without a checksum algorithm, its parts sent without checksums, completes with the full-object CRC64NVME of all the bytes, type FULL_OBJECT",
			Run:  multipartChecksumNoAlgorithmDefault,
		},
		Case{
			ID: "multipart/checksum/part-checksum-mismatch", Feature: Multipart,
			Ops:  ops("CompleteMultipartUpload"),
			Desc: "Complete naming a part with a well-formed CRC32 that is not the part's answers 400 InvalidPart and creates nothing",
			Run:  multipartChecksumPartChecksumMismatch,
		},
	)

	// Conditional completion.
	register(
		Case{
			ID: "multipart/conditional/if-none-match-key-exists", Feature: Multipart,
			Ops:  ops("CompleteMultipartUpload", "ListParts", "DeleteObject", "GetObject"),
			Desc: "Complete with If-None-Match: * onto an existing key answers 412 PreconditionFailed, leaves the object and the upload as they were, and the upload completes once the key is free",
			Run:  multipartConditionalIfNoneMatchKeyExists,
		},
		Case{
			ID: "multipart/conditional/if-none-match-key-absent", Feature: Multipart,
			Ops:  ops("CompleteMultipartUpload", "GetObject"),
			Desc: "Complete with If-None-Match: * onto a free key succeeds",
			Run:  multipartConditionalIfNoneMatchKeyAbsent,
		},
	)
}

func multipartLifecycleRoundtrip(t T, e *Env) {
	b := e.NewBucket()
	parts := mpThreeParts()
	id := mpCreate(t, e, b, "big.bin")
	etags := mpUploadAll(t, e, b, "big.bin", id, parts...)
	out := mpComplete(t, e, b, "big.bin", id, mpCompleted(etags...))
	want := mpETag(parts...)
	eq(t, "CompleteMultipartUpload ETag", aws.ToString(out.ETag), want)
	eq(t, "CompleteMultipartUpload Bucket", aws.ToString(out.Bucket), b)
	eq(t, "CompleteMultipartUpload Key", aws.ToString(out.Key), "big.bin")
	got, body := getObject(t, e, b, "big.bin", "")
	mpWantBytes(t, "GetObject body", body, mpConcat(parts...))
	eq(t, "GetObject ETag", aws.ToString(got.ETag), want)
	head := headObject(t, e, b, "big.bin")
	eq(t, "HeadObject ETag", aws.ToString(head.ETag), want)
	eq(t, "HeadObject Content-Length", aws.ToInt64(head.ContentLength), int64(len(mpConcat(parts...))))
}

func multipartUploadPartEtag(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	p := mpData(7, 12345)
	eq(t, "UploadPart ETag", mpUploadPart(t, e, b, "k", id, 1, p), md5ETag(p))
}

func multipartLifecycleMetadataAndContentType(t T, e *Env) {
	b := e.NewBucket()
	meta := map[string]string{"origin": "multipart", "run": "conformance"}
	id := mpCreate(t, e, b, "doc.txt", func(in *s3.CreateMultipartUploadInput) {
		in.ContentType = aws.String("text/x-multipart-case")
		in.Metadata = meta
	})
	etags := mpUploadAll(t, e, b, "doc.txt", id, []byte("tiny single part"))
	mpComplete(t, e, b, "doc.txt", id, mpCompleted(etags...))
	wantTypeAndMetadata(t, e, b, "doc.txt", "text/x-multipart-case", meta)
}

func multipartLifecycleInvisibleUntilComplete(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "pending")
	etags := mpUploadAll(t, e, b, "pending", id, mpData(1, mpMinPart), []byte("tail"))
	wantAbsent(t, e, b, "pending")
	wantStrings(t, "keys listed before Complete", listedKeys(t, e, b), nil)
	mpComplete(t, e, b, "pending", id, mpCompleted(etags...))
	if !objectExists(t, e, b, "pending") {
		t.Fatalf("HeadObject after Complete: 404")
	}
	wantStrings(t, "keys listed after Complete", listedKeys(t, e, b), []string{"pending"})
}

func multipartLifecycleUploadGoneAfterComplete(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("only part"))
	if !mpUploadListed(t, e, b, id) {
		t.Fatalf("ListMultipartUploads does not list the upload in progress")
	}
	mpComplete(t, e, b, "k", id, mpCompleted(etags...))
	if mpUploadListed(t, e, b, id) {
		t.Fatalf("ListMultipartUploads still lists the completed upload")
	}
	_, err := mpListPartsErr(t, e, b, "k", id)
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
}

func multipartLifecycleReplacesExistingObject(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", "the old object")
	mpPut(t, e, b, "k", []byte("the new object"))
	eq(t, "body", string(e.Get(b, "k")), "the new object")
}

func multipartCompleteSingleSmallPart(t T, e *Env) {
	b := e.NewBucket()
	p := []byte("a single part of a few bytes")
	eq(t, "ETag", mpPut(t, e, b, "k", p), mpETag(p))
	eq(t, "body", string(e.Get(b, "k")), string(p))
}

func multipartCompleteMinPartSizeBoundary(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(2, mpMinPart), {'!'}}
	eq(t, "ETag", mpPut(t, e, b, "k", parts...), mpETag(parts...))
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(parts...))
}

func multipartUploadPartReplacesSameNumber(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	old := mpData(9, mpMinPart)
	tail := []byte("tail")
	oldETag := mpUploadPart(t, e, b, "k", id, 1, old)
	tailETag := mpUploadPart(t, e, b, "k", id, 2, tail)
	repl := mpData(10, mpMinPart+10)
	newETag := mpUploadPart(t, e, b, "k", id, 1, repl)
	eq(t, "ETag of the new part 1", newETag, md5ETag(repl))

	lp := mpPartsListed(t, e, b, "k", id)
	if len(lp) != 2 {
		t.Fatalf("ListParts lists %d parts, want 2", len(lp))
	}
	eq(t, "part 1 PartNumber", aws.ToInt32(lp[0].PartNumber), int32(1))
	eq(t, "part 1 ETag", aws.ToString(lp[0].ETag), newETag)
	eq(t, "part 1 Size", aws.ToInt64(lp[0].Size), int64(len(repl)))

	_, err := mpCompleteErr(t, e, b, "k", id, mpCompleted(oldETag, tailETag))
	wantCode(t, err, "InvalidPart", http.StatusBadRequest)
	out := mpComplete(t, e, b, "k", id, mpCompleted(newETag, tailETag))
	eq(t, "ETag", aws.ToString(out.ETag), mpETag(repl, tail))
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(repl, tail))
}

func multipartCompleteUnlistedPartsDiscarded(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(11, mpMinPart), []byte("second"), []byte("third, never listed")}
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, parts...)
	out := mpComplete(t, e, b, "k", id, mpCompleted(etags[:2]...))
	eq(t, "ETag", aws.ToString(out.ETag), mpETag(parts[:2]...))
	eq(t, "Content-Length", aws.ToInt64(headObject(t, e, b, "k").ContentLength), int64(mpMinPart+len("second")))
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(parts[:2]...))
}

func multipartCompleteGapsInPartNumbers(t T, e *Env) {
	b := e.NewBucket()
	// A client that adds no checksums: S3 wants consecutive
	// numbers only of parts that carry one.
	plain := e.SDKAs(e.Target.Full, func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	id := mpCreate(t, e, b, "k")
	nums := []int32{2, 5, 9}
	parts := [][]byte{mpData(12, mpMinPart), mpData(13, mpMinPart), []byte("ninth")}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := plain.UploadPart(t.Context(), &s3.UploadPartInput{
			Bucket: aws.String(b), Key: aws.String("k"), UploadId: aws.String(id),
			PartNumber: aws.Int32(nums[i]), Body: bytes.NewReader(p),
		})
		mustf(t, err, "UploadPart %d", nums[i])
		done = append(done, mpPart(nums[i], aws.ToString(out.ETag)))
	}
	out := mpComplete(t, e, b, "k", id, done)
	eq(t, "ETag", aws.ToString(out.ETag), mpETag(parts...))
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(parts...))
}

func multipartUploadIdOtherKey(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "mine")
	etags := mpUploadAll(t, e, b, "mine", id, []byte("part one"))
	_, err := mpUploadPartErr(t, e, b, "theirs", id, 2, []byte("x"))
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = mpListPartsErr(t, e, b, "theirs", id)
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = mpCompleteErr(t, e, b, "theirs", id, mpCompleted(etags...))
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	wantCode(t, mpAbortErr(t, e, b, "theirs", id), "NoSuchUpload", http.StatusNotFound)
	wantAbsent(t, e, b, "theirs")
	mpComplete(t, e, b, "mine", id, mpCompleted(etags...))
	eq(t, "body", string(e.Get(b, "mine")), "part one")
}

func multipartAbortThenNoSuchUpload(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("doomed"))
	resp := e.Request(http.MethodDelete, b, "k").WithQuery("uploadId", id).Expect()
	wantStatus(t, resp, http.StatusNoContent)

	_, err := mpListPartsErr(t, e, b, "k", id)
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = mpUploadPartErr(t, e, b, "k", id, 2, []byte("late"))
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = mpCompleteErr(t, e, b, "k", id, mpCompleted(etags...))
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	// A repeated abort succeeds: openstack/swift
	// test/s3api/test_mpu.py test_create_upload_abort_abort
	// ("repeated abort gets 204"), a suite run against AWS.
	again := e.Request(http.MethodDelete, b, "k").WithQuery("uploadId", id).Expect()
	wantStatus(t, again, http.StatusNoContent)
	if mpUploadListed(t, e, b, id) {
		t.Fatalf("ListMultipartUploads still lists the aborted upload")
	}
	wantAbsent(t, e, b, "k")
}

func multipartTenancyOtherProject(t T, e *Env) {
	other := e.Target.Other
	tenNeed(t, e, "other-project", other)
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("ours"))

	for _, req := range []*httpexpect.Request{
		e.RequestAs(other, http.MethodPut, b, "k").WithQuery("partNumber", "1").WithQuery("uploadId", id).
			WithBytes([]byte("theirs")), // UploadPart
		e.RequestAs(other, http.MethodGet, b, "k").WithQuery("uploadId", id), // ListParts
		e.RequestAs(other, http.MethodPost, b, "k").WithQuery("uploadId", id).
			WithText(mpCompleteXML(etags...)), // CompleteMultipartUpload
		e.RequestAs(other, http.MethodDelete, b, "k").WithQuery("uploadId", id), // AbortMultipartUpload
		e.RequestAs(other, http.MethodGet, b, "").WithQuery("uploads", ""),      // ListMultipartUploads
	} {
		wantError(t, req.Expect(), http.StatusForbidden, "AccessDenied")
	}

	lp := mpPartsListed(t, e, b, "k", id)
	if len(lp) != 1 || aws.ToString(lp[0].ETag) != etags[0] {
		t.Fatalf("ListParts after the other project's attempts: %d parts, want only part 1 %s", len(lp), etags[0])
	}
	mpComplete(t, e, b, "k", id, mpCompleted(etags...))
	eq(t, "body", string(e.Get(b, "k")), "ours")
}

func multipartReadRangeAcrossParts(t T, e *Env) {
	b := e.NewBucket()
	parts := mpThreeParts()
	mpPut(t, e, b, "k", parts...)
	all := mpConcat(parts...)
	size := len(all)
	for _, r := range []struct{ first, last int }{
		{mpMinPart - 1000, mpMinPart + 999},              // parts 1-2
		{2*mpMinPart - 10, 2*mpMinPart + 500},            // parts 2-3
		{mpMinPart - 1, 2*mpMinPart + len(parts[2]) - 1}, // the last byte of 1 to the end
	} {
		rng := fmt.Sprintf("bytes=%d-%d", r.first, r.last)
		out, body := getObject(t, e, b, "k", rng)
		eq(t, rng+" Content-Range", aws.ToString(out.ContentRange), fmt.Sprintf("bytes %d-%d/%d", r.first, r.last, size))
		mpWantBytes(t, rng+" body", body, all[r.first:r.last+1])
	}
	out, body := getObject(t, e, b, "k", "bytes=-1500")
	eq(t, "bytes=-1500 Content-Range", aws.ToString(out.ContentRange), fmt.Sprintf("bytes %d-%d/%d", size-1500, size-1, size))
	mpWantBytes(t, "bytes=-1500 body", body, all[size-1500:])
}

func multipartReadGetPartNumber(t T, e *Env) {
	b := e.NewBucket()
	parts := mpThreeParts()
	etag := mpPut(t, e, b, "k", parts...)
	size := len(mpConcat(parts...))
	resp := e.Request(http.MethodGet, b, "k").WithQuery("partNumber", "2").Expect()
	wantStatus(t, resp, http.StatusPartialContent)
	eq(t, "Content-Range", header(resp, "Content-Range"), fmt.Sprintf("bytes %d-%d/%d", mpMinPart, 2*mpMinPart-1, size))
	eq(t, "x-amz-mp-parts-count", header(resp, "x-amz-mp-parts-count"), "3")
	eq(t, "ETag", header(resp, "ETag"), etag)
	wantContentLength(t, resp, mpMinPart)
	mpWantBytes(t, "body", []byte(resp.Body().Raw()), parts[1])
}

func multipartReadHeadPartNumber(t T, e *Env) {
	b := e.NewBucket()
	parts := mpThreeParts()
	mpPut(t, e, b, "k", parts...)
	for _, n := range []int32{1, 3} {
		out, err := e.SDK.HeadObject(t.Context(), &s3.HeadObjectInput{
			Bucket: aws.String(b), Key: aws.String("k"), PartNumber: aws.Int32(n),
		})
		mustf(t, err, "HeadObject PartNumber %d", n)
		eq(t, fmt.Sprintf("part %d Content-Length", n), aws.ToInt64(out.ContentLength), int64(len(parts[n-1])))
		eq(t, fmt.Sprintf("part %d PartsCount", n), aws.ToInt32(out.PartsCount), int32(3))
	}
}

func multipartUploadPartCopyWholeObject(t T, e *Env) {
	b := e.NewBucket()
	src := mpData(20, 3000)
	e.Put(b, "src", src)
	first := mpData(21, mpMinPart)
	id := mpCreate(t, e, b, "dst")
	e1 := mpUploadPart(t, e, b, "dst", id, 1, first)
	e2 := mpCopyPart(t, e, b, "dst", id, 2, b+"/src", "")
	eq(t, "CopyPartResult ETag", e2, md5ETag(src))
	out := mpComplete(t, e, b, "dst", id, mpCompleted(e1, e2))
	eq(t, "ETag", aws.ToString(out.ETag), mpETag(first, src))
	mpWantBytes(t, "body", e.Get(b, "dst"), mpConcat(first, src))
}

func multipartUploadPartCopyRange(t T, e *Env) {
	b := e.NewBucket()
	src := mpData(22, mpMinPart+1000)
	e.Put(b, "src", src)
	id := mpCreate(t, e, b, "dst")
	var etags []string
	ranges := []struct{ first, last int }{{1000, 1000 + mpMinPart - 1}, {0, 999}}
	for i, r := range ranges {
		et := mpCopyPart(t, e, b, "dst", id, int32(i+1), b+"/src", fmt.Sprintf("bytes=%d-%d", r.first, r.last))
		eq(t, fmt.Sprintf("part %d ETag", i+1), et, md5ETag(src[r.first:r.last+1]))
		etags = append(etags, et)
	}
	mpComplete(t, e, b, "dst", id, mpCompleted(etags...))
	mpWantBytes(t, "body", e.Get(b, "dst"), mpConcat(src[1000:1000+mpMinPart], src[:1000]))
}

func multipartUploadPartCopyRangeBeyondSource(t T, e *Env) {
	b := e.NewBucket()
	e.Put(b, "src", mpData(23, 1000))
	id := mpCreate(t, e, b, "dst")
	_, err := mpCopyPartErr(t, e, b, "dst", id, 1, b+"/src", "bytes=500-5000")
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)
	eq(t, "parts after the refused copy", len(mpPartsListed(t, e, b, "dst", id)), 0)
}

func multipartUploadPartCopyRangeBoundaries(t T, e *Env) {
	b := e.NewBucket()
	src := mpData(24, 1000)
	e.Put(b, "src", src)
	id := mpCreate(t, e, b, "dst")
	eq(t, "ETag of bytes=999-999", mpCopyPart(t, e, b, "dst", id, 1, b+"/src", "bytes=999-999"), md5ETag(src[999:]))
	eq(t, "ETag of bytes=0-999", mpCopyPart(t, e, b, "dst", id, 2, b+"/src", "bytes=0-999"), md5ETag(src))
	_, err := mpCopyPartErr(t, e, b, "dst", id, 3, b+"/src", "bytes=0-1000")
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)
	eq(t, "parts listed", len(mpPartsListed(t, e, b, "dst", id)), 2)
}

func multipartListPartsChecksumAlgorithm(t T, e *Env) {
	// ListParts' ChecksumAlgorithm is "the algorithm that was used
	// to create a checksum of the object" and ChecksumType the
	// type "specified in CreateMultipartUpload request" (API
	// reference); CRC32 without a type is COMPOSITE (measured:
	// floci-io/floci#3093). What S3 lists for an upload created
	// without an algorithm, which it now gives a default
	// CRC64NVME, is not settled, so it is not checked.
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc32, ""))
	out, err := mpListPartsErr(t, e, b, "k", id)
	mustf(t, err, "ListParts of an upload created with CRC32")
	eq(t, "ListParts ChecksumAlgorithm", out.ChecksumAlgorithm, types.ChecksumAlgorithmCrc32)
	eq(t, "ListParts ChecksumType", out.ChecksumType, types.ChecksumTypeComposite)
}

func multipartCreateResponse(t T, e *Env) {
	b := e.NewBucket()
	resp := e.Request(http.MethodPost, b, "dir/new.bin").WithQuery("uploads", "").Expect()
	wantStatus(t, resp, http.StatusOK)
	var doc struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		UploadID string   `xml:"UploadId"`
	}
	decodeXML(t, resp, "InitiateMultipartUploadResult", &doc)
	if doc.UploadID != "" {
		mpAbortAtEnd(t, e, b, "dir/new.bin", doc.UploadID)
	}
	eq(t, "Bucket", doc.Bucket, b)
	eq(t, "Key", doc.Key, "dir/new.bin")
	if doc.UploadID == "" {
		t.Fatalf("no UploadId in %s", resp.Body().Raw())
	}
}

func multipartCompleteResponse(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(24, mpMinPart), []byte("end")}
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, parts...)
	resp := mpRawComplete(e, b, "k", id, mpCompleteXML(etags...))
	wantStatus(t, resp, http.StatusOK)
	var doc struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		Location string   `xml:"Location"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		ETag     string   `xml:"ETag"`
	}
	decodeXML(t, resp, "CompleteMultipartUploadResult", &doc)
	eq(t, "Bucket", doc.Bucket, b)
	eq(t, "Key", doc.Key, "k")
	eq(t, "ETag", doc.ETag, mpETag(parts...))
	if doc.Location == "" {
		t.Fatalf("no Location in %s", resp.Body().Raw())
	}
	// An absolute URL in the scheme the client used: a TLS
	// endpoint must not hand out an http:// Location.
	loc, err := url.Parse(doc.Location)
	ep, _ := url.Parse(e.Target.Endpoint)
	if err != nil || !loc.IsAbs() || loc.Scheme != ep.Scheme {
		t.Fatalf("Location %q is not an absolute %s URL", doc.Location, ep.Scheme)
	}
}

// mpPartRefusal is a raw UploadPart that S3 refuses with 400.
type mpPartRefusal struct {
	id, desc, partNumber string
	header, value        string // sent unless header is ""
	body, code           string
	opts                 []func(*s3.CreateMultipartUploadInput)
}

// multipartUploadPartRefused makes the case of one refused UploadPart
// (multipart/upload-part/part-number-*, multipart/upload-part/content-md5-mismatch
// and multipart/checksum/upload-part-bad-digest).
func multipartUploadPartRefused(c mpPartRefusal) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		id := mpCreate(t, e, b, "k", c.opts...)
		req := mpRawUploadPart(e, b, "k", id, c.partNumber)
		if c.header != "" {
			req = req.WithHeader(c.header, c.value)
		}
		wantError(t, req.WithBytes([]byte(c.body)).Expect(), http.StatusBadRequest, c.code)
		eq(t, "parts after the refused upload", len(mpPartsListed(t, e, b, "k", id)), 0)
	}
}

func multipartUploadPartPartNumber10000(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	body := []byte("the only part, numbered 10000")
	etag := mpUploadPart(t, e, b, "k", id, 10000, body)
	parts := mpPartsListed(t, e, b, "k", id)
	if len(parts) != 1 || aws.ToInt32(parts[0].PartNumber) != 10000 {
		t.Fatalf("ListParts after uploading part 10000: %d parts (first %v)", len(parts), parts)
	}
	mpComplete(t, e, b, "k", id, []types.CompletedPart{{PartNumber: aws.Int32(10000), ETag: aws.String(etag)}})
	mpWantBytes(t, "body", e.Get(b, "k"), body)
}

// multipartCompleteRefused makes the multipart/complete/* case of a
// Complete that S3 refuses with 400 code: it uploads parts() as parts 1..N
// and completes with the list made from their ETags.
func multipartCompleteRefused(code string, parts func() [][]byte, list func(etags []string) []types.CompletedPart) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		id := mpCreate(t, e, b, "k")
		etags := mpUploadAll(t, e, b, "k", id, parts()...)
		_, err := mpCompleteErr(t, e, b, "k", id, list(etags))
		wantCode(t, err, code, http.StatusBadRequest)
		wantAbsent(t, e, b, "k")
	}
}

// multipartCompleteMalformed makes the multipart/complete/* case of a
// Complete body, made from the parts' ETags, that S3 refuses as
// MalformedXML.
func multipartCompleteMalformed(body func(etags []string) string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		id := mpCreate(t, e, b, "k")
		etags := mpUploadAll(t, e, b, "k", id, []byte("a part"))
		wantError(t, mpRawComplete(e, b, "k", id, body(etags)), http.StatusBadRequest, "MalformedXML")
		wantAbsent(t, e, b, "k")
	}
}

// multipartUnknownUpload makes the multipart/unknown-upload/* case of one
// operation.
func multipartUnknownUpload(c mpUploadIDCall) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		wantCode(t, c.call(t, e, b), "NoSuchUpload", http.StatusNotFound)
		wantAbsent(t, e, b, "k")
	}
}

// multipartMissingBucket makes the multipart/missing-bucket/* case of one
// operation.
func multipartMissingBucket(c mpUploadIDCall) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.BucketName()
		e.CleanupBucket(b)
		wantCode(t, c.call(t, e, b), "NoSuchBucket", http.StatusNotFound)
		eq(t, "bucket exists afterwards", bucketExists(t, e, b), false)
	}
}

func multipartErrorDocumentInvalidPartNumber(t T, e *Env) {
	// basho/riak_cs#945 (10001) and curtis0x/fake-s3#238 (0) quote
	// S3's whole document.
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	for _, pn := range []string{"0", "10001"} {
		doc := wantError(t, mpRawUploadPart(e, b, "k", id, pn).WithBytes([]byte("part")).Expect(), http.StatusBadRequest, "InvalidArgument")
		eq(t, "error <Message>", doc.Message, "Part number must be an integer between 1 and 10000, inclusive")
		wantElem(t, doc, "ArgumentName", "partNumber")
		wantElem(t, doc, "ArgumentValue", pn)
	}
	eq(t, "parts after the refused uploads", len(mpPartsListed(t, e, b, "k", id)), 0)
}

func multipartReadInvalidPartNumberBeforeKey(t T, e *Env) {
	// versity/versitygw's integration suite, run against S3:
	// HeadObject_invalid_part_number asks a key that does not
	// exist for part -3 and expects 400 (BadRequest). The code of
	// GET's document is not asserted: no capture of it was found.
	b := e.NewBucket()
	for _, pn := range []string{"0", "-3"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			resp := e.Request(method, b, "no-such-key").WithQuery("partNumber", pn).Expect()
			wantStatus(t, resp, http.StatusBadRequest)
		}
	}
}

func multipartManagerUpload(t T, e *Env) {
	b := e.NewBucket()
	data := mpData(30, 26*mpMiB)
	up := manager.NewUploader(e.SDK, func(u *manager.Uploader) {
		u.PartSize = mpMinPart
		u.Concurrency = 4
		u.LeavePartsOnError = false
	})
	out, err := up.Upload(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(b), Key: aws.String("managed.bin"), Body: bytes.NewReader(data),
	})
	mustf(t, err, "manager Upload")
	var parts [][]byte
	for off := 0; off < len(data); off += mpMinPart {
		parts = append(parts, data[off:min(off+mpMinPart, len(data))])
	}
	want := mpETag(parts...)
	eq(t, "Upload ETag", aws.ToString(out.ETag), want)
	eq(t, "HeadObject ETag", aws.ToString(headObject(t, e, b, "managed.bin").ETag), want)
	mpWantBytes(t, "body", e.Get(b, "managed.bin"), data)
}

func multipartManagerDownload(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(31, mpMinPart), mpData(32, mpMinPart), mpData(33, 3*mpMiB)}
	mpPut(t, e, b, "k", parts...)
	want := mpConcat(parts...)
	d := manager.NewDownloader(e.SDK, func(d *manager.Downloader) {
		d.PartSize = 4 * mpMiB
		d.Concurrency = 4
	})
	buf := manager.NewWriteAtBuffer(make([]byte, 0, len(want)))
	n, err := d.Download(t.Context(), buf, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "manager Download")
	eq(t, "bytes downloaded", n, int64(len(want)))
	mpWantBytes(t, "downloaded body", buf.Bytes(), want)
}

func multipartChecksumCrc32Composite(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(40, mpMinPart), mpData(41, mpMinPart), mpData(42, 777)}
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc32, ""))
	done := mpUploadChecksummed(t, e, b, "k", id, types.ChecksumAlgorithmCrc32, true, parts...)
	want := mpCompositeCRC32(parts...)
	out := mpComplete(t, e, b, "k", id, done)
	mpWantChecksum(t, e, b, "k", out, types.ChecksumAlgorithmCrc32, want, types.ChecksumTypeComposite)

	got, err := e.SDK.GetObject(t.Context(), &s3.GetObjectInput{
		Bucket: aws.String(b), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled,
	})
	mustf(t, err, "GetObject in checksum mode")
	defer got.Body.Close()
	eq(t, "GetObject ChecksumCRC32", aws.ToString(got.ChecksumCRC32), want)
	body, err := io.ReadAll(got.Body)
	mustf(t, err, "read GetObject body")
	mpWantBytes(t, "body", body, mpConcat(parts...))
}

func multipartChecksumCreateAnswersAlgorithm(t T, e *Env) {
	b := e.NewBucket()
	for _, c := range []struct {
		alg          types.ChecksumAlgorithm
		typ, wantTyp types.ChecksumType
	}{
		{types.ChecksumAlgorithmCrc32, "", types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject},
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite, types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmCrc64nvme, "", types.ChecksumTypeFullObject},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject},
		{types.ChecksumAlgorithmSha512, "", types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmMd5, "", types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmXxhash64, "", types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmXxhash3, types.ChecksumTypeComposite, types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmXxhash128, "", types.ChecksumTypeComposite},
		{"", "", ""},
	} {
		in := &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("k")}
		mpWithChecksum(c.alg, c.typ)(in)
		out, err := e.SDK.CreateMultipartUpload(t.Context(), in)
		mustf(t, err, "CreateMultipartUpload with algorithm %q, type %q", c.alg, c.typ)
		mpAbortAtEnd(t, e, b, "k", aws.ToString(out.UploadId))
		eq(t, fmt.Sprintf("ChecksumAlgorithm answered for %q/%q", c.alg, c.typ), out.ChecksumAlgorithm, c.alg)
		eq(t, fmt.Sprintf("ChecksumType answered for %q/%q", c.alg, c.typ), out.ChecksumType, c.wantTyp)
	}
}

func multipartChecksumCrc32FullObject(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(43, mpMinPart), mpData(44, 4321)}
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject))
	done := mpUploadChecksummed(t, e, b, "k", id, types.ChecksumAlgorithmCrc32, false, parts...)
	out := mpComplete(t, e, b, "k", id, done)
	mpWantChecksum(t, e, b, "k", out, types.ChecksumAlgorithmCrc32, mpB64(mpCRC32(mpConcat(parts...))), types.ChecksumTypeFullObject)
}

func multipartChecksumCrc64nvmeFullObject(t T, e *Env) {
	b := e.NewBucket()
	parts := [][]byte{mpData(45, mpMinPart), mpData(46, mpMinPart), mpData(47, 99)}
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc64nvme, ""))
	done := mpUploadChecksummed(t, e, b, "k", id, types.ChecksumAlgorithmCrc64nvme, true, parts...)
	out := mpComplete(t, e, b, "k", id, done)
	mpWantChecksum(t, e, b, "k", out, types.ChecksumAlgorithmCrc64nvme, cksValue("CRC64NVME", mpConcat(parts...)), types.ChecksumTypeFullObject)
}

func multipartChecksumCompositeEveryAlgorithm(t T, e *Env) {
	// The composite form, measured on S3 for SHA256, SHA1, CRC32
	// and CRC32C (floci-io/floci#3083 and #3093, eu-west-1,
	// 2026-09); COMPOSITE is the default type of every algorithm
	// but CRC64NVME, and the only one of the non-CRC ones (S3 User
	// Guide, "Checking object integrity"; minio-go's
	// ChecksumType.CanComposite lists the same nine).
	b := e.NewBucket()
	parts := [][]byte{mpData(60, mpMinPart), mpData(61, 321)}
	for _, a := range cksAlgorithms {
		if a.alg == types.ChecksumAlgorithmCrc64nvme {
			continue
		}
		key := "k-" + strings.ToLower(a.name)
		id := mpCreate(t, e, b, key, mpWithChecksum(a.alg, ""))
		done := mpUploadChecksummed(t, e, b, key, id, a.alg, true, parts...)
		out := mpComplete(t, e, b, key, id, done)
		mpWantChecksum(t, e, b, key, out, a.alg, mpComposite(a.name, parts...), types.ChecksumTypeComposite)
	}
}

func multipartChecksumPartWithoutChecksumComposite(t T, e *Env) {
	// UploadPart (API reference): the part's "checksum algorithm
	// must be the same for all parts and it match the checksum
	// value supplied in the CreateMultipartUpload request". S3's
	// answer without one, for a COMPOSITE upload, is
	// InvalidRequest "Checksum Type mismatch occurred, expected
	// checksum Type: ..., actual checksum Type: null"
	// (versity/versitygw#1342 and its integration test
	// UploadPart_no_checksum_with_composite_checksum_type, which
	// mirror S3); the case of the type's name is not settled, so
	// only the code is checked.
	b := e.NewBucket()
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmXxhash64} {
		id := mpCreate(t, e, b, "k", mpWithChecksum(alg, ""))
		resp := mpRawUploadPart(e, b, "k", id, "1").WithBytes([]byte("a part without its checksum")).Expect()
		wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
		eq(t, "parts after the refused UploadPart", len(mpPartsListed(t, e, b, "k", id)), 0)
	}
}

func multipartChecksumPartWithoutChecksumFullObject(t T, e *Env) {
	// A FULL_OBJECT upload does not need part checksums: S3
	// computes them (versity/versitygw#1342, fixed by #1419 to
	// match S3: "it isn't necessary for FULL_OBJECT").
	b := e.NewBucket()
	parts := [][]byte{mpData(62, mpMinPart), mpData(63, 1000)}
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject))
	etags := make([]string, len(parts))
	for i, p := range parts {
		resp := mpRawUploadPart(e, b, "k", id, fmt.Sprint(i+1)).WithBytes(p).Expect()
		wantStatus(t, resp, http.StatusOK)
		etags[i] = header(resp, "ETag")
	}
	out := mpComplete(t, e, b, "k", id, mpCompleted(etags...))
	mpWantChecksum(t, e, b, "k", out, types.ChecksumAlgorithmCrc32c, cksValue("CRC32C", mpConcat(parts...)), types.ChecksumTypeFullObject)
}

func multipartChecksumCompleteFullObjectValue(t T, e *Env) {
	// "When you provide a full object checksum during a multipart
	// upload, ... S3 validates the object integrity server-side,
	// comparing it to the received value. Then, S3 stores the
	// object if the values match. If the two values don't match,
	// Amazon S3 fails the request with a BadDigest error." (S3
	// User Guide, "Uploading and copying objects using multipart
	// upload").
	b := e.NewBucket()
	parts := [][]byte{mpData(64, mpMinPart), mpData(65, 2000)}
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject))
	done := mpUploadChecksummed(t, e, b, "k", id, types.ChecksumAlgorithmCrc32, false, parts...)
	in := mpCompleteInput(b, "k", id, done)
	in.ChecksumCRC32 = aws.String(cksValue("CRC32", parts[0]))
	_, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	wantCode(t, err, "BadDigest", http.StatusBadRequest)
	wantAbsent(t, e, b, "k")
	eq(t, "parts after the refused Complete", len(mpPartsListed(t, e, b, "k", id)), 2)

	want := cksValue("CRC32", mpConcat(parts...))
	in.ChecksumCRC32 = aws.String(want)
	out, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	mustf(t, err, "Complete with the object's CRC32")
	mpWantChecksum(t, e, b, "k", out, types.ChecksumAlgorithmCrc32, want, types.ChecksumTypeFullObject)
}

func multipartChecksumCompleteTypeMismatch(t T, e *Env) {
	// CompleteMultipartUpload x-amz-checksum-type (API reference):
	// "If the checksum type doesn't match the checksum type that
	// was specified for the object during the
	// CreateMultipartUpload request, it'll result in a BadDigest
	// error."
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc32, ""))
	done := mpUploadChecksummed(t, e, b, "k", id, types.ChecksumAlgorithmCrc32, false, []byte("the only part"))
	in := mpCompleteInput(b, "k", id, done)
	in.ChecksumType = types.ChecksumTypeFullObject
	_, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	wantCode(t, err, "BadDigest", http.StatusBadRequest)
	wantAbsent(t, e, b, "k")
	eq(t, "parts after the refused Complete", len(mpPartsListed(t, e, b, "k", id)), 1)
}

func multipartCompleteMpObjectSize(t T, e *Env) {
	// CompleteMultipartUpload x-amz-mp-object-size (API
	// reference): "If there's a mismatch between the specified
	// object size value and the actual object size value, it
	// results in an HTTP 400 InvalidRequest error."
	b := e.NewBucket()
	parts := [][]byte{mpData(66, mpMinPart), []byte("tail")}
	id := mpCreate(t, e, b, "k")
	in := mpCompleteInput(b, "k", id, mpCompleted(mpUploadAll(t, e, b, "k", id, parts...)...))
	total := int64(len(mpConcat(parts...)))
	in.MpuObjectSize = aws.Int64(total + 1)
	_, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	wantCode(t, err, "InvalidRequest", http.StatusBadRequest)
	wantAbsent(t, e, b, "k")
	eq(t, "parts after the refused Complete", len(mpPartsListed(t, e, b, "k", id)), 2)
	in.MpuObjectSize = aws.Int64(total)
	_, err = e.SDK.CompleteMultipartUpload(t.Context(), in)
	mustf(t, err, "Complete with the right x-amz-mp-object-size")
	mpWantBytes(t, "body", e.Get(b, "k"), mpConcat(parts...))
}

func multipartChecksumNoAlgorithmDefault(t T, e *Env) {
	// S3's default integrity protection: an object uploaded
	// without a checksum gets the full-object CRC64NVME (S3 User
	// Guide, "Checking object integrity"; "The CRC64NVME checksum
	// is always a full object checksum", CompleteMultipartUpload);
	// for a multipart upload created without one, Complete answers
	// that CRC64NVME with type FULL_OBJECT (versity/versitygw#1547,
	// which mirrors S3). What HeadObject reports afterwards is not
	// settled (#1547 says nothing; the API reference suggests the
	// default), so it is not checked.
	b := e.NewBucket()
	parts := [][]byte{mpData(67, mpMinPart), mpData(68, 4321)}
	id := mpCreate(t, e, b, "k")
	etags := make([]string, len(parts))
	for i, p := range parts {
		resp := mpRawUploadPart(e, b, "k", id, fmt.Sprint(i+1)).WithBytes(p).Expect()
		wantStatus(t, resp, http.StatusOK)
		etags[i] = header(resp, "ETag")
	}
	out := mpComplete(t, e, b, "k", id, mpCompleted(etags...))
	eq(t, "Complete ChecksumCRC64NVME", aws.ToString(out.ChecksumCRC64NVME), cksValue("CRC64NVME", mpConcat(parts...)))
	eq(t, "Complete ChecksumType", out.ChecksumType, types.ChecksumTypeFullObject)
}

func multipartChecksumPartChecksumMismatch(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k", mpWithChecksum(types.ChecksumAlgorithmCrc32, ""))
	done := mpUploadChecksummed(t, e, b, "k", id, types.ChecksumAlgorithmCrc32, false,
		mpData(48, mpMinPart), mpData(49, 500))
	done[0].ChecksumCRC32 = aws.String(mpB64(mpCRC32([]byte("not part 1"))))
	_, err := mpCompleteErr(t, e, b, "k", id, done)
	wantCode(t, err, "InvalidPart", http.StatusBadRequest)
	wantAbsent(t, e, b, "k")
}

func multipartConditionalIfNoneMatchKeyExists(t T, e *Env) {
	b := e.NewBucket()
	e.PutString(b, "k", "already here")
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("from the upload"))
	in := mpCompleteInput(b, "k", id, mpCompleted(etags...))
	in.IfNoneMatch = aws.String("*")
	_, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	wantCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	eq(t, "body of the existing object", string(e.Get(b, "k")), "already here")
	eq(t, "parts after the 412", len(mpPartsListed(t, e, b, "k", id)), 1)

	_, err = e.SDK.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	mustf(t, err, "DeleteObject")
	_, err = e.SDK.CompleteMultipartUpload(t.Context(), in)
	mustf(t, err, "Complete with If-None-Match: * once the key is free")
	eq(t, "body", string(e.Get(b, "k")), "from the upload")
}

func multipartConditionalIfNoneMatchKeyAbsent(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	etags := mpUploadAll(t, e, b, "k", id, []byte("first writer"))
	in := mpCompleteInput(b, "k", id, mpCompleted(etags...))
	in.IfNoneMatch = aws.String("*")
	_, err := e.SDK.CompleteMultipartUpload(t.Context(), in)
	mustf(t, err, "Complete with If-None-Match: *")
	eq(t, "body", string(e.Get(b, "k")), "first writer")
}

// mpUploadIDCall is an operation on an upload id that does not exist
// (mpNoUpload), for the cases that check which error answers it.
type mpUploadIDCall struct {
	op   string
	call func(t T, e *Env, bucket string) error
}

var mpUploadIDCalls = []mpUploadIDCall{
	{"UploadPart", func(t T, e *Env, b string) error {
		_, err := mpUploadPartErr(t, e, b, "k", mpNoUpload, 1, []byte("x"))
		return err
	}},
	{"ListParts", func(t T, e *Env, b string) error {
		_, err := mpListPartsErr(t, e, b, "k", mpNoUpload)
		return err
	}},
	{"CompleteMultipartUpload", func(t T, e *Env, b string) error {
		_, err := mpCompleteErr(t, e, b, "k", mpNoUpload, mpCompleted(md5ETag([]byte("x"))))
		return err
	}},
	{"AbortMultipartUpload", func(t T, e *Env, b string) error {
		return mpAbortErr(t, e, b, "k", mpNoUpload)
	}},
}
