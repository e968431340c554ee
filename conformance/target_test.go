package conformance

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadExampleTarget(t *testing.T) {
	tg, err := LoadTarget("../fixtures/targets/example-local.toml")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Endpoint != "http://127.0.0.1:9000" || tg.Full.AccessKey != "minioadmin" || len(tg.Features) != 8 || tg.MaxSkew.Minutes() != 15 {
		t.Fatalf("%+v", tg)
	}
}

func TestLoadContainerTarget(t *testing.T) {
	tg, err := LoadTarget("../fixtures/targets/gateway-container.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.validate(); err == nil || !strings.Contains(err.Error(), "endpoint") {
		// The container's endpoint is filled in once it runs; every
		// other setting, the features included, must already be valid.
		t.Fatalf("validate before the endpoint is known: %v", err)
	}
	tg.Endpoint = "http://127.0.0.1:9009"
	if err := tg.validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range AllFeatures {
		want := f != Macaroon && f != Usage
		if tg.Claims(f) != want {
			t.Errorf("Claims(%s) = %v, want %v", f, !want, want)
		}
	}
}

func TestClaims(t *testing.T) {
	for _, c := range []struct {
		name     string
		features []Feature
		want     []Feature
	}{
		{"no features line: the S3 features only", nil, S3Features},
		{"s3 alias", []Feature{FeatureS3}, S3Features},
		{"s3 and one extension", []Feature{FeatureS3, Readyz}, append(slices.Clone(S3Features), Readyz)},
		{"some S3 features", []Feature{List, Objects}, []Feature{Objects, List}},
		{"an extension alone", []Feature{TamperEvidentTokens}, []Feature{TamperEvidentTokens}},
		{"everything by name", AllFeatures, AllFeatures},
	} {
		tg := &Target{Features: c.features}
		var got []Feature
		for _, f := range AllFeatures {
			if tg.Claims(f) {
				got = append(got, f)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: claims %v, want %v", c.name, got, c.want)
		}
	}
	for _, f := range AllFeatures {
		if f.Doc() == "" {
			t.Errorf("feature %s has no description", f)
		}
		if f.Extension() == slices.Contains(S3Features, f) {
			t.Errorf("feature %s is both or neither S3's and an extension", f)
		}
	}
}
