// Package credentials holds SigV4 credential records: who a key belongs to
// and what it may do.
package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Record is one access key as the predecessor's credentials JSON and the
// control plane's resolve endpoint describe it.
type Record struct {
	AccessKey string   `json:"access_key"`
	SecretKey string   `json:"secret_key"`
	ProjectID string   `json:"project_id"`
	Bucket    string   `json:"bucket,omitempty"`
	Prefix    string   `json:"prefix,omitempty"`
	Ops       []string `json:"ops,omitempty"`
	Region    string   `json:"region,omitempty"`
	Service   string   `json:"service,omitempty"`
}

// ErrUnknownKey is returned by lookups for an access key that does not exist.
var ErrUnknownKey = errors.New("credentials: unknown access key")

// Ops are the operation classes a credential can be scoped to.
var Ops = []string{"put", "get", "head", "list", "delete"}

// Validate reports what is wrong with r, naming the field.
func (r *Record) Validate() error {
	if r.AccessKey == "" {
		return errors.New("access_key is empty")
	}
	if r.SecretKey == "" {
		return fmt.Errorf("access key %q: secret_key is empty", r.AccessKey)
	}
	if r.ProjectID == "" {
		return fmt.Errorf("access key %q: project_id is empty", r.AccessKey)
	}
	for _, op := range r.Ops {
		if !slices.Contains(Ops, op) {
			return fmt.Errorf("access key %q: unknown op %q (want one of put, get, head, list, delete)", r.AccessKey, op)
		}
	}
	return nil
}

// Parse reads credentials JSON: either an array of records or an object
// mapping access keys to records (whose access_key may then be omitted).
// The result is sorted by access key.
func Parse(data []byte) ([]Record, error) {
	data = bytes.TrimSpace(data)
	var recs []Record
	switch {
	case len(data) == 0:
		return nil, errors.New("empty credentials JSON")
	case data[0] == '[':
		if err := strictUnmarshal(data, &recs); err != nil {
			return nil, err
		}
	case data[0] == '{':
		var m map[string]Record
		if err := strictUnmarshal(data, &m); err != nil {
			return nil, err
		}
		for k, r := range m {
			if r.AccessKey == "" {
				r.AccessKey = k
			} else if r.AccessKey != k {
				return nil, fmt.Errorf("entry %q has access_key %q", k, r.AccessKey)
			}
			recs = append(recs, r)
		}
	default:
		return nil, errors.New("credentials JSON must be an array or an object")
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].AccessKey < recs[j].AccessKey })
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			return nil, err
		}
		if i > 0 && recs[i].AccessKey == recs[i-1].AccessKey {
			return nil, fmt.Errorf("access key %q is listed twice", recs[i].AccessKey)
		}
	}
	return recs, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid credentials JSON: %w", err)
	}
	if dec.More() {
		return errors.New("invalid credentials JSON: trailing data")
	}
	return nil
}
