package config

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// autoMaxConnections sizes MAX_CONNECTIONS for this machine: each connection
// may hold about two file descriptors (its socket and a blob or temp file)
// and is budgeted 1 MiB of memory (buffers of a stalled upload), with room
// kept for the index and the process itself.
func autoMaxConnections() int {
	n := 10000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 1<<40 {
		n = max(64, (int(lim.Cur)-256)/2)
	}
	if mem := memoryLimit(); mem > 0 {
		n = min(n, max(64, int(mem>>20)))
	}
	return n
}

// memoryLimit is the smaller of physical memory and a cgroup v2 limit.
func memoryLimit() int64 {
	var mem int64
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err == nil {
		mem = int64(si.Totalram) * int64(si.Unit)
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 && (mem == 0 || v < mem) {
			mem = v
		}
	}
	return mem
}
