package conformance

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// Multipart uploads. The cases are in a file per operation:
//   - cases_multipart_lifecycle.go: create, upload, complete and abort end to
//     end, the SDK's transfer manager, and upload ids that do not exist or
//     belong to another key, bucket or project;
//   - cases_multipart_parts.go: UploadPart: ETags, part numbers, digests;
//   - cases_multipart_complete.go: CompleteMultipartUpload: the rules S3
//     enforces at completion, its answer, and conditional completion;
//   - cases_multipart_copy.go: UploadPartCopy;
//   - cases_multipart_read.go: reads of the completed object by range and by
//     part number;
//   - cases_multipart_checksums.go: additional checksums of parts and objects;
//   - cases_multipart_list.go: ListParts and ListMultipartUploads;
//   - cases_multipart_retry.go: retried Complete and Abort requests.
//
// Each file's comment gives the evidence its cases rely on. This file holds
// the helpers they share.

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
