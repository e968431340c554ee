//go:build !linux

package config

// autoMaxConnections is a fixed, moderate cap where the machine cannot be
// read.
func autoMaxConnections() int { return 4096 }
