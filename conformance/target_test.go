package conformance

import "testing"

func TestLoadExampleTarget(t *testing.T) {
	tg, err := LoadTarget("../fixtures/targets/example-local.toml")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Endpoint != "http://127.0.0.1:9000" || tg.Full.AccessKey != "minioadmin" || len(tg.Features) != 8 || tg.MaxSkew.Minutes() != 15 {
		t.Fatalf("%+v", tg)
	}
}
