//go:build !unix

package process

import (
	"os"
	"os/exec"
)

// Without process groups only the program itself is stopped, at once.
func setProcessGroup(*exec.Cmd) {}

func signalGroup(p *os.Process, _ bool) { _ = p.Kill() }

func groupAlive(int) bool { return false }
