package conformance

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/gavv/httpexpect/v2"
)

// Cases for S3's additional checksums (x-amz-checksum-*): the SDK's
// uploads with each algorithm, the value GetObject and HeadObject return
// when asked (x-amz-checksum-mode: ENABLED) and only then, and the errors
// for a wrong value (BadDigest) and a malformed one (InvalidRequest).
// Expected values are computed here, independently of the SDK.

// cksAlgorithms are the checksum algorithms S3 supports, with the size of
// their digests.
var cksAlgorithms = []struct {
	name string
	alg  types.ChecksumAlgorithm
	size int
}{
	{"CRC32", types.ChecksumAlgorithmCrc32, 4},
	{"CRC32C", types.ChecksumAlgorithmCrc32c, 4},
	{"CRC64NVME", types.ChecksumAlgorithmCrc64nvme, 8},
	{"SHA1", types.ChecksumAlgorithmSha1, 20},
	{"SHA256", types.ChecksumAlgorithmSha256, 32},
}

// cksCRC64NVME is the CRC-64/NVME table: polynomial 0xad93d23594c93659,
// bit-reflected.
var cksCRC64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// cksHash returns a fresh hash for an algorithm name (upper case).
func cksHash(alg string) hash.Hash {
	switch alg {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "CRC64NVME":
		return crc64.New(cksCRC64NVME)
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	}
	panic("unknown checksum algorithm " + alg)
}

// cksValue returns the base64 checksum of data, as S3 carries it in
// x-amz-checksum-<alg>.
func cksValue(alg string, data []byte) string {
	h := cksHash(alg)
	h.Write(data)
	// The CRC sums of hash/crc32 and hash/crc64 are big-endian, as S3's.
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// cksHeader is the header carrying an algorithm's checksum.
func cksHeader(alg string) string { return "x-amz-checksum-" + strings.ToLower(alg) }

// cksField picks the algorithm's field from an SDK output's checksums.
func cksField(alg string, crc32v, crc32c, crc64nvme, sha1v, sha256v *string) string {
	switch alg {
	case "CRC32":
		return aws.ToString(crc32v)
	case "CRC32C":
		return aws.ToString(crc32c)
	case "CRC64NVME":
		return aws.ToString(crc64nvme)
	case "SHA1":
		return aws.ToString(sha1v)
	case "SHA256":
		return aws.ToString(sha256v)
	}
	return ""
}

// cksNoChecksumHeaders fails the case if resp carries any x-amz-checksum-*
// value header.
func cksNoChecksumHeaders(t T, what string, resp *httpexpect.Response) {
	t.Helper()
	for name, vals := range resp.Raw().Header {
		n := strings.ToLower(name)
		if strings.HasPrefix(n, "x-amz-checksum-") && n != "x-amz-checksum-type" {
			t.Fatalf("%s carries %s: %q, want no checksum header", what, name, vals)
		}
	}
}

// cksData is the body the checksum cases upload.
var cksData = bytes.Repeat([]byte("checksummed content\n"), 512)

// cksPut stores cksData at bucket/key through the SDK with
// ChecksumAlgorithm alg, failing the case on error.
func cksPut(t T, e *Env, bucket, key string, alg types.ChecksumAlgorithm) *s3.PutObjectOutput {
	t.Helper()
	out, err := e.SDK.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(cksData), ChecksumAlgorithm: alg,
	})
	mustf(t, err, "PutObject with %s", alg)
	return out
}

func init() {
	for _, a := range cksAlgorithms {
		name := strings.ToLower(a.name)
		register(
			Case{
				ID: "checksums/" + name + "/sdk-roundtrip", Feature: Checksums,
				Ops:  ops("PutObject", "GetObject", "HeadObject"),
				Desc: "PutObject with ChecksumAlgorithm " + a.name + " succeeds and returns the checksum, which GetObject and HeadObject return with checksum mode enabled",
				Run: func(t T, e *Env) {
					b := e.NewBucket()
					want := cksValue(a.name, cksData)
					out := cksPut(t, e, b, "k", a.alg)
					eq(t, "PutObject "+cksHeader(a.name), cksField(a.name, out.ChecksumCRC32, out.ChecksumCRC32C,
						out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256), want)

					got, err := e.SDK.GetObject(t.Context(), &s3.GetObjectInput{
						Bucket: aws.String(b), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled,
					})
					mustf(t, err, "GetObject with checksum mode")
					body, err := io.ReadAll(got.Body)
					got.Body.Close()
					mustf(t, err, "read GetObject body (the SDK validates it against the checksum)")
					eq(t, "GetObject body", string(body), string(cksData))
					eq(t, "GetObject "+cksHeader(a.name), cksField(a.name, got.ChecksumCRC32, got.ChecksumCRC32C,
						got.ChecksumCRC64NVME, got.ChecksumSHA1, got.ChecksumSHA256), want)

					head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
					wantStatus(t, head, http.StatusOK)
					eq(t, "HeadObject "+cksHeader(a.name), header(head, cksHeader(a.name)), want)
				},
			},
			Case{
				ID: "checksums/" + name + "/wrong-value", Feature: Checksums, Ops: ops("PutObject"),
				Desc: "a PUT whose " + cksHeader(a.name) + " does not match the body gives 400 BadDigest and stores nothing",
				Run: func(t T, e *Env) {
					b := e.NewBucket()
					resp := e.Request(http.MethodPut, b, "k").
						WithHeader(cksHeader(a.name), cksValue(a.name, []byte("not the body"))).
						WithBytes(cksData).Expect()
					wantError(t, resp, http.StatusBadRequest, "BadDigest")
					wantAbsent(t, e, b, "k")
				},
			},
			Case{
				ID: "checksums/" + name + "/malformed-value", Feature: Checksums, Ops: ops("PutObject"),
				Desc: "a PUT whose " + cksHeader(a.name) + " is not the base64 of a digest of the right length gives 400 InvalidRequest and stores nothing",
				Run: func(t T, e *Env) {
					b := e.NewBucket()
					bad := base64.StdEncoding.EncodeToString(make([]byte, a.size+1))
					resp := e.Request(http.MethodPut, b, "k").
						WithHeader(cksHeader(a.name), bad).WithBytes(cksData).Expect()
					wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
					wantAbsent(t, e, b, "k")
				},
			},
		)
	}
	register(
		Case{
			ID: "checksums/crc32/not-base64", Feature: Checksums, Ops: ops("PutObject"),
			Desc: "a PUT whose x-amz-checksum-crc32 is not base64 at all gives 400 InvalidRequest and stores nothing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				resp := e.Request(http.MethodPut, b, "k").
					WithHeader("x-amz-checksum-crc32", "^^^^^^==").WithBytes(cksData).Expect()
				wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
				wantAbsent(t, e, b, "k")
			},
		},
		Case{
			ID: "checksums/sdk-algorithm/lower-case", Feature: Checksums, Ops: ops("PutObject", "HeadObject"),
			Desc: "x-amz-sdk-checksum-algorithm is case-insensitive: crc32 with a correct x-amz-checksum-crc32 is stored with that checksum",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				want := cksValue("CRC32", cksData)
				put := e.Request(http.MethodPut, b, "k").WithHeader("x-amz-sdk-checksum-algorithm", "crc32").
					WithHeader("x-amz-checksum-crc32", want).WithBytes(cksData).Expect()
				wantStatus(t, put, http.StatusOK)
				head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
				wantStatus(t, head, http.StatusOK)
				eq(t, "HeadObject x-amz-checksum-crc32", header(head, "x-amz-checksum-crc32"), want)
			},
		},
		Case{
			ID: "checksums/sdk-algorithm/upload-part-without-checksum", Feature: Checksums, Ops: ops("UploadPart", "ListParts"),
			Desc: "an UploadPart with x-amz-sdk-checksum-algorithm but no checksum header or trailer gives 400 InvalidRequest and records no part",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				id := mpCreate(t, e, b, "k")
				resp := mpRawUploadPart(e, b, "k", id, "1").
					WithHeader("x-amz-sdk-checksum-algorithm", "CRC32").WithBytes(cksData).Expect()
				wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
				parts, err := mpListPartsErr(t, e, b, "k", id)
				mustf(t, err, "ListParts")
				eq(t, "parts after the refused UploadPart", len(parts.Parts), 0)
			},
		},
		Case{
			ID: "checksums/header-checksum-stored", Feature: Checksums, Ops: ops("PutObject", "HeadObject"),
			Desc: "a raw PUT with a correct x-amz-checksum-sha256 header is stored and the value is returned with checksum mode",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				want := cksValue("SHA256", cksData)
				put := e.Request(http.MethodPut, b, "k").WithHeader("x-amz-checksum-sha256", want).WithBytes(cksData).Expect()
				wantStatus(t, put, http.StatusOK)
				head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
				wantStatus(t, head, http.StatusOK)
				eq(t, "HeadObject x-amz-checksum-sha256", header(head, "x-amz-checksum-sha256"), want)
			},
		},
		Case{
			ID: "checksums/absent-without-mode", Feature: Checksums, Ops: ops("GetObject", "HeadObject"),
			Desc: "GetObject and HeadObject without x-amz-checksum-mode return no checksum headers",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				cksPut(t, e, b, "k", types.ChecksumAlgorithmSha256)
				get := e.Request(http.MethodGet, b, "k").Expect()
				wantStatus(t, get, http.StatusOK)
				cksNoChecksumHeaders(t, "GetObject without checksum mode", get)
				head := e.Request(http.MethodHead, b, "k").Expect()
				wantStatus(t, head, http.StatusOK)
				cksNoChecksumHeaders(t, "HeadObject without checksum mode", head)
			},
		},
		Case{
			ID: "checksums/ranged-get-no-full-checksum", Feature: Checksums, Ops: ops("GetObject"),
			Desc: "a ranged GetObject with checksum mode enabled does not return the whole object's checksum",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				cksPut(t, e, b, "k", types.ChecksumAlgorithmCrc32)
				get := e.Request(http.MethodGet, b, "k").WithHeader("Range", "bytes=2-5").
					WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
				wantBody(t, get, http.StatusPartialContent, string(cksData[2:6]))
				cksNoChecksumHeaders(t, "ranged GetObject", get)
			},
		},
	)

	// x-amz-sdk-checksum-algorithm announces the checksum a PUT carries; S3
	// refuses the PUT when it names no supported algorithm, when no checksum
	// comes with it, or when the checksum sent is of another algorithm.
	for _, c := range []struct {
		id, desc string
		headers  []string // name, value pairs
	}{
		{"unsupported", "names an algorithm S3 does not support (MD5)",
			[]string{"x-amz-sdk-checksum-algorithm", "MD5", "Content-MD5", contentMD5(cksData)}},
		{"without-checksum", "comes with neither an x-amz-checksum-* header nor a trailer",
			[]string{"x-amz-sdk-checksum-algorithm", "CRC32"}},
		{"other-algorithm", "names SHA256 while the (correct) checksum sent is a CRC32",
			[]string{"x-amz-sdk-checksum-algorithm", "SHA256", "x-amz-checksum-crc32", cksValue("CRC32", cksData)}},
	} {
		register(Case{
			ID: "checksums/sdk-algorithm/" + c.id, Feature: Checksums, Ops: ops("PutObject"),
			Desc: "a PUT whose x-amz-sdk-checksum-algorithm " + c.desc + " gives 400 InvalidRequest and stores nothing",
			Run: func(t T, e *Env) {
				b := e.NewBucket()
				req := e.Request(http.MethodPut, b, "k")
				for i := 0; i < len(c.headers); i += 2 {
					req = req.WithHeader(c.headers[i], c.headers[i+1])
				}
				wantError(t, req.WithBytes(cksData).Expect(), http.StatusBadRequest, "InvalidRequest")
				wantAbsent(t, e, b, "k")
			},
		})
	}
}
