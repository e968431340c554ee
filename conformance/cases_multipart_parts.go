package conformance

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// UploadPart: the part's ETag, replacing a part, the part numbers S3
// accepts and the bodies it refuses.
//
// What the cases rely on, from the AWS API reference and from servers that
// measured real S3:
//   - Part numbers are 1..10000; anything else (0, 10001, -1, not a number)
//     is 400 InvalidArgument "Part number must be an integer between 1 and
//     10000, inclusive" (riak_cs#945 and fake-s3#238 quote S3's answer).

func init() {
	register(
		Case{
			ID: "multipart/upload-part/etag", Feature: Multipart, Ops: ops("UploadPart"),
			Desc: "UploadPart answers with the part's ETag: the quoted hex MD5 of its bytes",
			Run:  multipartUploadPartEtag,
		},
		Case{
			ID: "multipart/upload-part/replaces-same-number", Feature: Multipart,
			Ops:  ops("UploadPart", "ListParts", "CompleteMultipartUpload", "GetObject"),
			Desc: "uploading a part number again replaces the part: ListParts shows the new ETag and size, Complete with the old ETag answers 400 InvalidPart, with the new one it builds the object from the new bytes",
			Run:  multipartUploadPartReplacesSameNumber,
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

	register(Case{
		ID: "multipart/error-document/invalid-part-number", Feature: Multipart, Ops: ops("UploadPart", "ListParts"),
		Desc: "UploadPart with partNumber 0 or 10001 answers InvalidArgument with S3's message and the part number in ArgumentName and ArgumentValue",
		Run:  multipartErrorDocumentInvalidPartNumber,
	})
}

func multipartUploadPartEtag(t T, e *Env) {
	b := e.NewBucket()
	id := mpCreate(t, e, b, "k")
	p := mpData(7, 12345)
	eq(t, "UploadPart ETag", mpUploadPart(t, e, b, "k", id, 1, p), md5ETag(p))
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
