package conformance

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/gavv/httpexpect/v2"
)

// CreateBucket with a LocationConstraint. What S3 answers depends on the
// endpoint:
//   - a regional endpoint (any region but us-east-1) creates the bucket when
//     the constraint names its own region, and refuses another region, or
//     none, with 400 IllegalLocationConstraintException "The <region>
//     location constraint is incompatible for the region specific endpoint
//     this request was sent to." (boto/boto3#2728 for af-south-1,
//     prowler-cloud/prowler#1155, skypilot-org/skypilot#3405; "unspecified"
//     in aws/aws-cli#2603, aws/aws-parallelcluster#1190, and
//     localstack/localstack#5894 checked against AWS; the AWS CLI's
//     create-bucket example names the client's own region);
//   - us-east-1 (s3.amazonaws.com) takes no constraint for itself: "us-east-1"
//     is 400 InvalidLocationConstraint "The specified location-constraint is
//     not valid" (opstrace/opstrace#841 and apache/arrow#28914 from the AWS
//     SDKs; ceph commit db13592 quotes S3's whole document, which names the
//     value in <LocationConstraint>); but it creates a bucket in any other
//     region the constraint names: the CreateBucket reference says a request
//     to the global endpoint "goes to the us-east-1 Region ... even if the
//     location constraint in the request specifies another Region where the
//     bucket is to be created" (localstack's provider, checked against AWS,
//     does the same).
//
// A single-region server cannot do the last; refusing is this gateway's
// choice and the SingleRegion extension's case.

// locBody is a CreateBucketConfiguration naming region.
func locBody(region string) []byte {
	return []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>` +
		region + `</LocationConstraint></CreateBucketConfiguration>`)
}

// locOtherRegion is a region other than the target's.
func locOtherRegion(e *Env) string {
	if e.Target.Region == "eu-west-1" {
		return "us-west-2"
	}
	return "eu-west-1"
}

// locCreate sends a raw CreateBucket of a fresh name with a constraint for
// region, removing the bucket at the end should it exist.
func locCreate(e *Env, region string) (string, *httpexpect.Response) {
	name := e.BucketName()
	bktRemoveIfCreated(e, name)
	resp := e.Request(http.MethodPut, name, "").WithHeader("Content-Type", "application/xml").
		WithBytes(locBody(region)).Expect()
	return name, resp
}

// locWantIllegal fails the case unless resp refuses a constraint for region
// as a regional endpoint does, and no bucket was made.
func locWantIllegal(t T, e *Env, name, region string, resp *httpexpect.Response) {
	t.Helper()
	doc := wantError(t, resp, http.StatusBadRequest, "IllegalLocationConstraintException")
	eq(t, "error <Message>", doc.Message,
		"The "+region+" location constraint is incompatible for the region specific endpoint this request was sent to.")
	eq(t, "bucket exists after the refused CreateBucket", bucketExists(t, e, name), false)
}

func init() {
	register(
		Case{
			ID: "buckets/create/location-constraint/other-region", Feature: Buckets, Ops: ops("CreateBucket", "HeadBucket"),
			Desc: "at a regional endpoint (not us-east-1), CreateBucket with another region's LocationConstraint fails with 400 IllegalLocationConstraintException and creates nothing",
			Run:  bucketsCreateLocationConstraintOtherRegion,
		},
		Case{
			ID: "buckets/create/location-constraint/own-region", Feature: Buckets, Ops: ops("CreateBucket", "GetBucketLocation"),
			Desc: "CreateBucket with the endpoint's own region as LocationConstraint creates the bucket (GetBucketLocation answers it), except in us-east-1: 400 InvalidLocationConstraint and nothing created",
			Run:  bucketsCreateLocationConstraintOwnRegion,
		},
		Case{
			ID: "buckets/create/location-constraint/unspecified", Feature: Buckets, Ops: ops("CreateBucket", "HeadBucket"),
			Desc: "CreateBucket without a LocationConstraint creates the bucket in us-east-1; any other endpoint refuses it with 400 IllegalLocationConstraintException and creates nothing",
			Run:  bucketsCreateLocationConstraintUnspecified,
		},
		Case{
			ID: "single-region/create-bucket/other-region", Feature: SingleRegion, Ops: ops("CreateBucket", "HeadBucket"),
			Desc: "CreateBucket with another region's LocationConstraint fails with 400 IllegalLocationConstraintException and creates nothing, in us-east-1 too",
			Run:  singleRegionCreateBucketOtherRegion,
		},
	)
}

func bucketsCreateLocationConstraintOtherRegion(t T, e *Env) {
	if e.Target.Region == "us-east-1" {
		t.Skipf("the target is in us-east-1, where S3 creates the bucket in the region the constraint names; " +
			"checking that would leave a bucket in another region (single-region servers refuse: see the single-region feature)")
	}
	other := locOtherRegion(e)
	name, resp := locCreate(e, other)
	locWantIllegal(t, e, name, other, resp)
}

func bucketsCreateLocationConstraintOwnRegion(t T, e *Env) {
	region := e.Target.Region
	name, resp := locCreate(e, region)
	if region == "us-east-1" {
		doc := wantError(t, resp, http.StatusBadRequest, "InvalidLocationConstraint")
		eq(t, "error <Message>", doc.Message, "The specified location-constraint is not valid")
		eq(t, "error <LocationConstraint>", doc.elem("LocationConstraint"), region)
		eq(t, "bucket exists after the refused CreateBucket", bucketExists(t, e, name), false)
		return
	}
	resp.Status(http.StatusOK)
	loc := e.Request(http.MethodGet, name, "").WithQuery("location", "").Expect()
	loc.Status(http.StatusOK)
	var doc struct {
		Value string `xml:",chardata"`
	}
	mustf(t, xml.Unmarshal([]byte(loc.Body().Raw()), &doc), "decode GetBucketLocation")
	eq(t, "LocationConstraint", strings.TrimSpace(doc.Value), region)
}

func bucketsCreateLocationConstraintUnspecified(t T, e *Env) {
	name := e.BucketName()
	bktRemoveIfCreated(e, name)
	resp := e.Request(http.MethodPut, name, "").Expect()
	if e.Target.Region == "us-east-1" {
		resp.Status(http.StatusOK)
		eq(t, "HeadBucket finds the bucket", bucketExists(t, e, name), true)
		return
	}
	locWantIllegal(t, e, name, "unspecified", resp)
}

func singleRegionCreateBucketOtherRegion(t T, e *Env) {
	other := locOtherRegion(e)
	name, resp := locCreate(e, other)
	locWantIllegal(t, e, name, other, resp)
}
