package conformance

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cespare/xxhash/v2"
	"github.com/gavv/httpexpect/v2"
	"github.com/zeebo/xxh3"
)

// Cases for S3's additional checksums (x-amz-checksum-*): the SDK's
// uploads with each algorithm, the value GetObject and HeadObject return
// when asked (x-amz-checksum-mode: ENABLED) and only then, the errors for a
// wrong value (BadDigest), a malformed one, an unknown algorithm and two at
// once (InvalidRequest), and the CRC64NVME S3 adds to an object uploaded
// without a checksum. Expected values are computed here, independently of
// the SDK and of the gateway.
//
// The algorithms are those of the S3 API since April 2026 (the "Checksum"
// type of the API reference; aws-sdk-go-v2 service/s3 v1.100.0 "adds five
// additional checksum algorithms ... MD5, SHA-512, XXHash3, XXHash64,
// XXHash128"), each carried in x-amz-checksum-<lower-case name> as the
// base64 of the digest's big-endian bytes. For the xxHash family that is the
// canonical form of awslabs/aws-checksums (tests/xxhash_test.c), which the
// AWS SDKs use, and what aws/aws-sdk-go-v2#3404 sends S3 for XXHASH64
// ("hello world" -> RatnNLIeaWg=).

// cksAlgorithm is a checksum algorithm S3 supports, with the size of its
// digest and whether the AWS SDK for Go v2 computes it itself.
type cksAlgorithm struct {
	name string
	alg  types.ChecksumAlgorithm
	size int
	sdk  bool
}

// cksAlgorithms are the checksum algorithms S3 supports. The SDK computes
// CRC32, CRC32C, CRC64NVME, SHA1, SHA256 and SHA512 itself
// (service/internal/checksum); the others it only sends when given the
// value (aws-sdk-go-v2#3404).
var cksAlgorithms = []cksAlgorithm{
	{"CRC32", types.ChecksumAlgorithmCrc32, 4, true},
	{"CRC32C", types.ChecksumAlgorithmCrc32c, 4, true},
	{"CRC64NVME", types.ChecksumAlgorithmCrc64nvme, 8, true},
	{"SHA1", types.ChecksumAlgorithmSha1, 20, true},
	{"SHA256", types.ChecksumAlgorithmSha256, 32, true},
	{"SHA512", types.ChecksumAlgorithmSha512, 64, true},
	{"MD5", types.ChecksumAlgorithmMd5, 16, false},
	{"XXHASH64", types.ChecksumAlgorithmXxhash64, 8, false},
	{"XXHASH3", types.ChecksumAlgorithmXxhash3, 8, false},
	{"XXHASH128", types.ChecksumAlgorithmXxhash128, 16, false},
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
	case "SHA512":
		return sha512.New()
	case "MD5":
		return md5.New()
	case "XXHASH64":
		return xxhash.New()
	case "XXHASH3":
		return xxh3.New()
	case "XXHASH128":
		return xxh3.New128()
	}
	panic("unknown checksum algorithm " + alg)
}

// cksValue returns the base64 checksum of data, as S3 carries it in
// x-amz-checksum-<alg>.
func cksValue(alg string, data []byte) string {
	h := cksHash(alg)
	h.Write(data)
	// Every Sum here is big-endian, as S3's values: hash/crc32, hash/crc64
	// and the xxHash packages write the canonical byte order.
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// cksHeader is the header carrying an algorithm's checksum.
func cksHeader(alg string) string { return "x-amz-checksum-" + strings.ToLower(alg) }

// cksField returns the SDK field of an algorithm's checksum in v, a pointer
// to an SDK input or output struct (ChecksumCRC32 ... ChecksumXXHASH128); it
// panics if v has none, a bug in the case.
func cksField(alg string, v any) reflect.Value {
	f := reflect.ValueOf(v).Elem().FieldByName("Checksum" + strings.ToUpper(alg))
	if !f.IsValid() {
		panic("no Checksum" + strings.ToUpper(alg) + " field in " + reflect.TypeOf(v).String())
	}
	return f
}

// cksOf returns an algorithm's checksum from an SDK output, "" when absent.
func cksOf(alg string, v any) string {
	return aws.ToString(cksField(alg, v).Interface().(*string))
}

// cksSet sets an algorithm's checksum in an SDK input.
func cksSet(alg string, v any, value string) {
	cksField(alg, v).Set(reflect.ValueOf(aws.String(value)))
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

// cksWantOnly fails the case unless resp carries exactly one checksum
// header, header: want, and x-amz-checksum-type FULL_OBJECT.
func cksWantOnly(t T, what string, resp *httpexpect.Response, header, want string) {
	t.Helper()
	eq(t, what+" "+header, resp.Raw().Header.Get(header), want)
	for name := range resp.Raw().Header {
		n := strings.ToLower(name)
		if strings.HasPrefix(n, "x-amz-checksum-") && n != "x-amz-checksum-type" && n != header {
			t.Fatalf("%s carries %s as well as %s", what, name, header)
		}
	}
	eq(t, what+" x-amz-checksum-type", resp.Raw().Header.Get("x-amz-checksum-type"), "FULL_OBJECT")
}

// cksData is the body the checksum cases upload.
var cksData = bytes.Repeat([]byte("checksummed content\n"), 512)

// cksPutInput is an SDK PutObject of body with algorithm alg: the SDK
// computes the checksum of the algorithms it knows; the others it is given.
func cksPutInput(bucket, key, alg string, body []byte) *s3.PutObjectInput {
	in := &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithm(alg),
	}
	for _, a := range cksAlgorithms {
		if a.name == alg && !a.sdk {
			cksSet(alg, in, cksValue(alg, body))
		}
	}
	return in
}

// cksPut stores cksData at bucket/key through the SDK with
// ChecksumAlgorithm alg, failing the case on error.
func cksPut(t T, e *Env, bucket, key string, alg types.ChecksumAlgorithm) *s3.PutObjectOutput {
	t.Helper()
	out, err := e.SDK.PutObject(t.Context(), cksPutInput(bucket, key, string(alg), cksData))
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
				Desc: "PutObject with ChecksumAlgorithm " + a.name + " succeeds and returns the checksum and type FULL_OBJECT, which GetObject and HeadObject return with checksum mode enabled",
				Run:  checksumsSdkRoundtrip(a),
			},
			Case{
				ID: "checksums/" + name + "/wrong-value", Feature: Checksums, Ops: ops("PutObject"),
				Desc: "a PUT whose " + cksHeader(a.name) + " does not match the body gives 400 BadDigest and stores nothing",
				Run:  checksumsWrongValue(a),
			},
			Case{
				ID: "checksums/" + name + "/malformed-value", Feature: Checksums, Ops: ops("PutObject"),
				Desc: "a PUT whose " + cksHeader(a.name) + " is not the base64 of a digest of the right length gives 400 InvalidRequest and stores nothing",
				Run:  checksumsMalformedValue(a),
			},
			Case{
				ID: "checksums/" + name + "/trailer", Feature: Checksums, Ops: ops("PutObject", "HeadObject"),
				Desc: "an unsigned aws-chunked PUT with a trailing " + cksHeader(a.name) + " is stored with that checksum, returned with checksum mode",
				Run:  checksumsTrailer(a),
			},
			Case{
				ID: "checksums/" + name + "/trailer-mismatch", Feature: Checksums, Ops: ops("PutObject"),
				Desc: "an unsigned aws-chunked PUT whose trailing " + cksHeader(a.name) + " does not match the data gives 400 BadDigest and stores nothing",
				Run:  checksumsTrailerMismatch(a),
			},
		)
	}
	register(
		Case{
			ID: "checksums/crc32/not-base64", Feature: Checksums, Ops: ops("PutObject"),
			Desc: "a PUT whose x-amz-checksum-crc32 is not base64 at all gives 400 InvalidRequest and stores nothing",
			Run:  checksumsCrc32NotBase64,
		},
		Case{
			ID: "checksums/sdk-algorithm/lower-case", Feature: Checksums, Ops: ops("PutObject", "HeadObject"),
			Desc: "x-amz-sdk-checksum-algorithm is case-insensitive: crc32 with a correct x-amz-checksum-crc32 is stored with that checksum",
			Run:  checksumsSdkAlgorithmLowerCase,
		},
		Case{
			ID: "checksums/sdk-algorithm/upload-part-without-checksum", Feature: Checksums, Ops: ops("UploadPart", "ListParts"),
			Desc: "an UploadPart with x-amz-sdk-checksum-algorithm but no checksum header or trailer gives 400 InvalidRequest and records no part",
			Run:  checksumsSdkAlgorithmUploadPartWithoutChecksum,
		},
		Case{
			ID: "checksums/header/unknown-algorithm", Feature: Checksums, Ops: ops("PutObject"),
			Desc: "a PUT with an x-amz-checksum-* header of an algorithm S3 does not know (crc16, sha384) gives 400 InvalidRequest and stores nothing",
			Run:  checksumsHeaderUnknownAlgorithm,
		},
		Case{
			ID: "checksums/header/two-algorithms", Feature: Checksums, Ops: ops("PutObject"),
			Desc: "a PUT with two x-amz-checksum-* headers, both correct (crc32 and sha512), gives 400 InvalidRequest and stores nothing",
			Run:  checksumsHeaderTwoAlgorithms,
		},
		Case{
			ID: "checksums/header/empty-value", Feature: Checksums, Ops: ops("PutObject"),
			Desc: "a PUT with an empty x-amz-checksum-sha512 (or -crc32) gives 400 InvalidRequest naming the header and stores nothing",
			Run:  checksumsHeaderEmptyValue,
		},
		Case{
			ID: "checksums/default/put-without-checksum", Feature: Checksums, Ops: ops("PutObject", "HeadObject", "GetObject"),
			Desc: "a PUT without any checksum is given the CRC64NVME of its bytes: the PUT answers it with type FULL_OBJECT, and HeadObject and GetObject return it in checksum mode",
			Run:  checksumsDefaultPutWithoutChecksum,
		},
		Case{
			ID: "checksums/header-checksum-stored", Feature: Checksums, Ops: ops("PutObject", "HeadObject"),
			Desc: "a raw PUT with a correct x-amz-checksum-sha256 header is stored and the value is returned with checksum mode",
			Run:  checksumsHeaderChecksumStored,
		},
		Case{
			ID: "checksums/absent-without-mode", Feature: Checksums, Ops: ops("GetObject", "HeadObject"),
			Desc: "GetObject and HeadObject without x-amz-checksum-mode return no checksum headers",
			Run:  checksumsAbsentWithoutMode,
		},
		Case{
			ID: "checksums/ranged-get-no-full-checksum", Feature: Checksums, Ops: ops("GetObject"),
			Desc: "a ranged GetObject with checksum mode enabled does not return the whole object's checksum",
			Run:  checksumsRangedGetNoFullChecksum,
		},
	)

	// x-amz-sdk-checksum-algorithm announces the checksum a PUT carries; S3
	// refuses the PUT when it names no supported algorithm, when no checksum
	// comes with it, or when the checksum sent is of another algorithm.
	for _, c := range []struct {
		id, desc string
		headers  []string // name, value pairs
	}{
		{"unsupported", "names an algorithm S3 does not support (CRC16)",
			[]string{"x-amz-sdk-checksum-algorithm", "CRC16", "Content-MD5", contentMD5(cksData)}},
		{"without-checksum", "comes with neither an x-amz-checksum-* header nor a trailer",
			[]string{"x-amz-sdk-checksum-algorithm", "CRC32"}},
		{"other-algorithm", "names SHA256 while the (correct) checksum sent is a CRC32",
			[]string{"x-amz-sdk-checksum-algorithm", "SHA256", "x-amz-checksum-crc32", cksValue("CRC32", cksData)}},
	} {
		register(Case{
			ID: "checksums/sdk-algorithm/" + c.id, Feature: Checksums, Ops: ops("PutObject"),
			Desc: "a PUT whose x-amz-sdk-checksum-algorithm " + c.desc + " gives 400 InvalidRequest and stores nothing",
			Run:  checksumsSdkAlgorithm(c.headers),
		})
	}
}

// checksumsSdkRoundtrip makes the checksums/<algorithm>/sdk-roundtrip case.
func checksumsSdkRoundtrip(a cksAlgorithm) func(t T, e *Env) {
	return func(t T, e *Env) {
		// PutObject's x-amz-checksum-type: "For PutObject uploads,
		// the checksum type is always FULL_OBJECT" (PutObject, API
		// reference).
		b := e.NewBucket()
		want := cksValue(a.name, cksData)
		out := cksPut(t, e, b, "k", a.alg)
		eq(t, "PutObject "+cksHeader(a.name), cksOf(a.name, out), want)
		eq(t, "PutObject x-amz-checksum-type", out.ChecksumType, types.ChecksumTypeFullObject)

		got, err := e.SDK.GetObject(t.Context(), &s3.GetObjectInput{
			Bucket: aws.String(b), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled,
		})
		mustf(t, err, "GetObject with checksum mode")
		body, err := io.ReadAll(got.Body)
		got.Body.Close()
		mustf(t, err, "read GetObject body (the SDK validates it against the checksum)")
		eq(t, "GetObject body", string(body), string(cksData))
		eq(t, "GetObject "+cksHeader(a.name), cksOf(a.name, got), want)

		head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
		wantStatus(t, head, http.StatusOK)
		cksWantOnly(t, "HeadObject", head, cksHeader(a.name), want)
	}
}

// checksumsWrongValue makes the checksums/<algorithm>/wrong-value case.
func checksumsWrongValue(a cksAlgorithm) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		resp := e.Request(http.MethodPut, b, "k").
			WithHeader(cksHeader(a.name), cksValue(a.name, []byte("not the body"))).
			WithBytes(cksData).Expect()
		wantError(t, resp, http.StatusBadRequest, "BadDigest")
		wantAbsent(t, e, b, "k")
	}
}

// checksumsMalformedValue makes the checksums/<algorithm>/malformed-value case.
func checksumsMalformedValue(a cksAlgorithm) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		bad := base64.StdEncoding.EncodeToString(make([]byte, a.size+1))
		resp := e.Request(http.MethodPut, b, "k").
			WithHeader(cksHeader(a.name), bad).WithBytes(cksData).Expect()
		wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
		wantAbsent(t, e, b, "k")
	}
}

// checksumsTrailer makes the checksums/<algorithm>/trailer case.
func checksumsTrailer(a cksAlgorithm) func(t T, e *Env) {
	return func(t T, e *Env) {
		// The trailer takes any x-amz-checksum-* an upload can
		// carry (AWS, "Checking object integrity": trailing
		// checksums); the wire form is AWS's sigv4-streaming-trailers.
		b := e.NewBucket()
		data := streamData(70000)
		wantStatus(t, streamPut{mode: StreamingUnsignedTrailer, data: data, algorithm: a.name}.send(t, e, b, "k"), http.StatusOK)
		streamWantStored(t, e, b, "k", data, "")
		head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
		wantStatus(t, head, http.StatusOK)
		cksWantOnly(t, "HeadObject", head, cksHeader(a.name), cksValue(a.name, data))
	}
}

// checksumsTrailerMismatch makes the checksums/<algorithm>/trailer-mismatch case.
func checksumsTrailerMismatch(a cksAlgorithm) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		p := streamPut{mode: StreamingUnsignedTrailer, data: streamData(20000), algorithm: a.name,
			trailerValue: cksValue(a.name, []byte("other data"))}
		wantError(t, p.send(t, e, b, "k"), http.StatusBadRequest, "BadDigest")
		wantAbsent(t, e, b, "k")
	}
}

func checksumsCrc32NotBase64(t T, e *Env) {
	b := e.NewBucket()
	resp := e.Request(http.MethodPut, b, "k").
		WithHeader("x-amz-checksum-crc32", "^^^^^^==").WithBytes(cksData).Expect()
	wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
	wantAbsent(t, e, b, "k")
}

func checksumsSdkAlgorithmLowerCase(t T, e *Env) {
	b := e.NewBucket()
	want := cksValue("CRC32", cksData)
	put := e.Request(http.MethodPut, b, "k").WithHeader("x-amz-sdk-checksum-algorithm", "crc32").
		WithHeader("x-amz-checksum-crc32", want).WithBytes(cksData).Expect()
	wantStatus(t, put, http.StatusOK)
	head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
	wantStatus(t, head, http.StatusOK)
	eq(t, "HeadObject x-amz-checksum-crc32", header(head, "x-amz-checksum-crc32"), want)
}

func checksumsSdkAlgorithmUploadPartWithoutChecksum(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	resp := mpRawUploadPart(e, b, "k", id, "1").
		WithHeader("x-amz-sdk-checksum-algorithm", "CRC32").WithBytes(cksData).Expect()
	wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
	parts, err := mpListPartsErr(t, e, b, "k", id)
	mustf(t, err, "ListParts")
	eq(t, "parts after the refused UploadPart", len(parts.Parts), 0)
}

func checksumsHeaderUnknownAlgorithm(t T, e *Env) {
	// openstack/swift test/s3api/test_input_errors.py, run
	// against AWS: test_no_md5_good_sha_unsupported_crc_header
	// (x-amz-checksum-bad).
	b := e.NewBucket()
	for _, alg := range []string{"crc16", "sha384"} {
		resp := e.Request(http.MethodPut, b, "k").
			WithHeader("x-amz-checksum-"+alg, cksValue("CRC32", cksData)).WithBytes(cksData).Expect()
		doc := wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
		eq(t, "error <Message>", doc.Message, "The algorithm type you specified in x-amz-checksum- header is invalid.")
	}
	wantAbsent(t, e, b, "k")
}

func checksumsHeaderTwoAlgorithms(t T, e *Env) {
	// test_no_md5_good_sha_multiple_crc_in_headers (Swift, run
	// against AWS).
	b := e.NewBucket()
	resp := e.Request(http.MethodPut, b, "k").
		WithHeader("x-amz-checksum-crc32", cksValue("CRC32", cksData)).
		WithHeader("x-amz-checksum-sha512", cksValue("SHA512", cksData)).WithBytes(cksData).Expect()
	doc := wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
	eq(t, "error <Message>", doc.Message, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	wantAbsent(t, e, b, "k")
}

func checksumsHeaderEmptyValue(t T, e *Env) {
	// An empty value is a malformed one: "Value for
	// x-amz-checksum-crc32 header is invalid." (Swift
	// test_good_md5_good_sha_invalid_crc_header, run against AWS);
	// versitygw's UploadPart_invalid_checksum_header sends "" for
	// every algorithm and expects the same answer.
	b := e.NewBucket()
	for _, h := range []string{"x-amz-checksum-sha512", "x-amz-checksum-crc32"} {
		resp := e.Request(http.MethodPut, b, "k").WithHeader(h, "").WithBytes(cksData).Expect()
		doc := wantError(t, resp, http.StatusBadRequest, "InvalidRequest")
		eq(t, "error <Message>", doc.Message, "Value for "+h+" header is invalid.")
	}
	wantAbsent(t, e, b, "k")
}

func checksumsDefaultPutWithoutChecksum(t T, e *Env) {
	// "Because S3 has default integrity protections, if objects
	// are uploaded without a checksum, S3 automatically attaches
	// the recommended full object CRC-64/NVME (CRC64NVME)
	// checksum algorithm to the object" (S3 User Guide, "Checking
	// object integrity"); PutObject's x-amz-checksum-crc64nvme "is
	// present if the object was uploaded with the CRC64NVME
	// checksum algorithm, or if it was uploaded without a checksum
	// (and Amazon S3 added the default checksum, CRC64NVME, to the
	// uploaded object)" (PutObject, API reference). Measured:
	// versity/versitygw#1182, localstack/localstack#12401.
	b := e.NewBucket()
	want := cksValue("CRC64NVME", cksData)
	put := e.Request(http.MethodPut, b, "k").WithBytes(cksData).Expect()
	wantStatus(t, put, http.StatusOK)
	cksWantOnly(t, "PutObject", put, "x-amz-checksum-crc64nvme", want)
	head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
	wantStatus(t, head, http.StatusOK)
	cksWantOnly(t, "HeadObject", head, "x-amz-checksum-crc64nvme", want)
	got, err := e.SDK.GetObject(t.Context(), &s3.GetObjectInput{
		Bucket: aws.String(b), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled,
	})
	mustf(t, err, "GetObject with checksum mode")
	_, err = io.ReadAll(got.Body)
	got.Body.Close()
	mustf(t, err, "read GetObject body (the SDK validates it against the CRC64NVME)")
	eq(t, "GetObject ChecksumCRC64NVME", aws.ToString(got.ChecksumCRC64NVME), want)
	eq(t, "GetObject ChecksumType", got.ChecksumType, types.ChecksumTypeFullObject)
}

func checksumsHeaderChecksumStored(t T, e *Env) {
	b := e.NewBucket()
	want := cksValue("SHA256", cksData)
	put := e.Request(http.MethodPut, b, "k").WithHeader("x-amz-checksum-sha256", want).WithBytes(cksData).Expect()
	wantStatus(t, put, http.StatusOK)
	head := e.Request(http.MethodHead, b, "k").WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
	wantStatus(t, head, http.StatusOK)
	eq(t, "HeadObject x-amz-checksum-sha256", header(head, "x-amz-checksum-sha256"), want)
}

func checksumsAbsentWithoutMode(t T, e *Env) {
	b := e.NewBucket()
	cksPut(t, e, b, "k", types.ChecksumAlgorithmSha256)
	get := e.Request(http.MethodGet, b, "k").Expect()
	wantStatus(t, get, http.StatusOK)
	cksNoChecksumHeaders(t, "GetObject without checksum mode", get)
	head := e.Request(http.MethodHead, b, "k").Expect()
	wantStatus(t, head, http.StatusOK)
	cksNoChecksumHeaders(t, "HeadObject without checksum mode", head)
}

func checksumsRangedGetNoFullChecksum(t T, e *Env) {
	b := e.NewBucket()
	cksPut(t, e, b, "k", types.ChecksumAlgorithmCrc32)
	get := e.Request(http.MethodGet, b, "k").WithHeader("Range", "bytes=2-5").
		WithHeader("x-amz-checksum-mode", "ENABLED").Expect()
	wantBody(t, get, http.StatusPartialContent, string(cksData[2:6]))
	cksNoChecksumHeaders(t, "ranged GetObject", get)
}

// checksumsSdkAlgorithm makes the checksums/sdk-algorithm/* case of a PUT
// with these headers (name, value pairs).
func checksumsSdkAlgorithm(headers []string) func(t T, e *Env) {
	return func(t T, e *Env) {
		b := e.NewBucket()
		req := e.Request(http.MethodPut, b, "k")
		for i := 0; i < len(headers); i += 2 {
			req = req.WithHeader(headers[i], headers[i+1])
		}
		wantError(t, req.WithBytes(cksData).Expect(), http.StatusBadRequest, "InvalidRequest")
		wantAbsent(t, e, b, "k")
	}
}
