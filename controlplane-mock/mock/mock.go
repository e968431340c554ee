// Package mock is a control plane for development and tests: a real HTTP
// server that implements the contract the gateway consumes (package
// impl/controlplane/wire: resolving access keys, verifying tokens, taking
// usage, health), seeded from a TOML file, with an admin endpoint that
// injects faults so tests can prove the gateway survives a slow, flaky or
// dead control plane. Its other endpoints (minting tokens, adding and
// deleting keys, the usage summary, the admin ones) serve tests and tools,
// not the gateway, and are defined here.
package mock

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/s3gw/gateway/impl/auth/credentials"
	"github.com/s3gw/gateway/impl/controlplane/wire"
)

// Seed is the TOML seed file's content.
type Seed struct {
	Keys []SeedKey `toml:"keys"`
}

// SeedKey is one access key of the seed.
type SeedKey struct {
	AccessKey string   `toml:"access_key"`
	SecretKey string   `toml:"secret_key"`
	ProjectID string   `toml:"project_id"`
	Bucket    string   `toml:"bucket"`
	Prefix    string   `toml:"prefix"`
	Ops       []string `toml:"ops"`
	Region    string   `toml:"region"`
	Service   string   `toml:"service"`
}

// LoadSeed reads and validates a seed file.
func LoadSeed(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seed: %w", err)
	}
	var s Seed
	dec := toml.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse seed %s: %w", path, err)
	}
	for _, k := range s.Keys {
		r := k.record()
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("seed %s: %w", path, err)
		}
	}
	return &s, nil
}

func (k SeedKey) record() credentials.Record {
	return credentials.Record{AccessKey: k.AccessKey, SecretKey: k.SecretKey, ProjectID: k.ProjectID,
		Bucket: k.Bucket, Prefix: k.Prefix, Ops: k.Ops, Region: k.Region, Service: k.Service}
}

// Faults are injected by POST /v1/admin/faults.
type Faults struct {
	LatencyMS int     `json:"latency_ms"`
	ErrorRate float64 `json:"error_rate"`
	Down      bool    `json:"down"`
}

// Server is the mock control plane.
type Server struct {
	token   string
	rootKey []byte
	log     *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	keys   map[string]credentials.Record
	faults Faults
	calls  map[string]int
	usage  map[string]*Summary
	seen   map[string]bool
}

// New returns a server with the seed's keys, minting and verifying
// macaroons with rootKey. token, when set, is required as a bearer token on
// every non-admin endpoint.
func New(seed *Seed, rootKey []byte, token string, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{token: token, rootKey: rootKey, log: log, now: time.Now,
		keys: map[string]credentials.Record{}, calls: map[string]int{},
		usage: map[string]*Summary{}, seen: map[string]bool{}}
	if seed != nil {
		for _, k := range seed.Keys {
			s.keys[k.AccessKey] = k.record()
		}
	}
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(route(wire.MethodHealth, wire.PathHealth), s.faulty(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, wire.Health{OK: true})
	}))
	mux.HandleFunc("POST /v1/admin/faults", s.setFaults)
	mux.HandleFunc("DELETE /v1/admin/faults", s.clearFaults)
	mux.HandleFunc("GET /v1/admin/calls", s.getCalls)
	mux.Handle(route(wire.MethodResolveKey, wire.PathResolveKey), s.guard(s.resolve))
	mux.Handle("POST /v1/keys", s.guard(s.createKey))
	mux.Handle("DELETE /v1/keys/{access_key}", s.guard(s.deleteKey))
	mux.Handle("POST /v1/macaroons", s.guard(s.mint))
	mux.Handle(route(wire.MethodVerifyToken, wire.PathVerifyToken), s.guard(s.verify))
	mux.Handle(route(wire.MethodUsage, wire.PathUsage), s.guard(s.ingestUsage))
	mux.Handle("GET /v1/usage/summary", s.guard(s.usageSummary))
	return mux
}

// route is the ServeMux pattern of an endpoint of the contract.
func route(method, path string) string { return method + " " + path }

// guard applies the injected faults and the bearer token.
func (s *Server) guard(h http.HandlerFunc) http.Handler {
	return s.faulty(func(w http.ResponseWriter, r *http.Request) {
		if s.token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(wire.AuthHeader)), []byte(wire.Bearer(s.token))) != 1 {
			writeJSON(w, wire.StatusTokenInvalid, wire.Refusal{Reason: "missing or wrong internal API token"})
			return
		}
		h(w, r)
	})
}

// faulty applies the injected faults: dropped connections, latency, errors.
func (s *Server) faulty(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.faults
		s.calls[r.URL.Path]++
		s.mu.Unlock()
		if f.Down {
			// A dead control plane: the connection drops with no answer.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if f.LatencyMS > 0 {
			select {
			case <-time.After(time.Duration(f.LatencyMS) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
			writeJSON(w, http.StatusInternalServerError, wire.Refusal{Reason: "injected fault"})
			return
		}
		h(w, r)
	})
}

func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	var req wire.ResolveKeyRequest
	if !readJSON(w, r, &req) {
		return
	}
	s.mu.Lock()
	rec, ok := s.keys[req.AccessKey]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, wire.StatusUnknownKey, wire.Refusal{Reason: "unknown access key"})
		return
	}
	// A stored record is the answer field for field; the conversion stops
	// compiling if the two ever differ.
	writeJSON(w, http.StatusOK, wire.ResolveKeyResponse(rec))
}

// createKey adds or replaces a key (POST /v1/keys with a credential record).
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var rec credentials.Record
	if !readJSON(w, r, &rec) {
		return
	}
	if err := rec.Validate(); err != nil {
		writeJSON(w, http.StatusBadRequest, wire.Refusal{Reason: err.Error()})
		return
	}
	s.mu.Lock()
	s.keys[rec.AccessKey] = rec
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"access_key": rec.AccessKey})
}

// deleteKey removes a key (DELETE /v1/keys/{access_key}), as revoking it
// would: it resolves no more.
func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) {
	ak := r.PathValue("access_key")
	s.mu.Lock()
	_, ok := s.keys[ak]
	delete(s.keys, ak)
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, wire.Refusal{Reason: "unknown access key"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) mint(w http.ResponseWriter, r *http.Request) {
	var req MintRequest
	if !readJSON(w, r, &req) {
		return
	}
	token, err := Mint(s.rootKey, req, s.now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, wire.Refusal{Reason: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	var req wire.VerifyTokenRequest
	if !readJSON(w, r, &req) {
		return
	}
	g, err := Verify(s.rootKey, req.Token, req.Op, req.Bucket, req.Key, s.now())
	if err != nil {
		te := err.(*tokenError)
		writeJSON(w, te.Status, wire.Refusal{Reason: te.Reason})
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (s *Server) setFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if !readJSON(w, r, &f) {
		return
	}
	if f.ErrorRate < 0 || f.ErrorRate > 1 || f.LatencyMS < 0 {
		writeJSON(w, http.StatusBadRequest, wire.Refusal{Reason: "error_rate must be in [0,1] and latency_ms >= 0"})
		return
	}
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	s.log.Info("faults set", "latency_ms", f.LatencyMS, "error_rate", f.ErrorRate, "down", f.Down)
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) clearFaults(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.faults = Faults{}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, Faults{})
}

// getCalls reports how many calls each endpoint received, so tests can
// check caching and call coalescing.
func (s *Server) getCalls(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, wire.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, wire.StatusBadRequest, wire.Refusal{Reason: "invalid JSON: " + err.Error()})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", wire.ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
