package mock

import (
	"net/http"

	"github.com/s3gw/gateway/impl/controlplane/wire"
)

// Totals are a project's (or one operation's) usage.
type Totals struct {
	Requests int64 `json:"requests"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
}

// Summary is the answer of GET /v1/usage/summary.
type Summary struct {
	Totals
	ByOp map[string]Totals `json:"by_op"`
}

func (s *Server) ingestUsage(w http.ResponseWriter, r *http.Request) {
	var req wire.UsageBatch
	if !readJSON(w, r, &req) {
		return
	}
	s.mu.Lock()
	for _, e := range req.Events {
		// A batch retried after a lost answer must not count twice.
		if e.RequestID != "" {
			if s.seen[e.RequestID] {
				continue
			}
			s.seen[e.RequestID] = true
		}
		sum := s.usage[e.ProjectID]
		if sum == nil {
			sum = &Summary{ByOp: map[string]Totals{}}
			s.usage[e.ProjectID] = sum
		}
		sum.Requests++
		sum.BytesIn += e.BytesIn
		sum.BytesOut += e.BytesOut
		op := sum.ByOp[e.Op]
		op.Requests++
		op.BytesIn += e.BytesIn
		op.BytesOut += e.BytesOut
		sum.ByOp[e.Op] = op
	}
	s.mu.Unlock()
	writeJSON(w, wire.StatusUsageAccepted, wire.UsageAccepted{Accepted: len(req.Events)})
}

func (s *Server) usageSummary(w http.ResponseWriter, r *http.Request) {
	project := r.URL.Query().Get("project_id")
	if project == "" {
		writeJSON(w, http.StatusBadRequest, wire.Refusal{Reason: "project_id is required"})
		return
	}
	s.mu.Lock()
	out := Summary{ByOp: map[string]Totals{}}
	if sum := s.usage[project]; sum != nil {
		out.Totals = sum.Totals
		for k, v := range sum.ByOp {
			out.ByOp[k] = v
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
