package main

import (
	"context"
	"fmt"
	"io"

	"github.com/s3gw/gateway/conformance"
	"github.com/s3gw/gateway/conformance/process"
)

// startCommand starts the target's [command] and returns how to stop it.
// The server's output goes to a log file, named when it starts and again
// when it stops.
func startCommand(ctx context.Context, t *conformance.Target, stderr io.Writer) (func(), error) {
	srv, err := process.Start(ctx, t)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "s3conform: started %s (pid %d) at %s; its output: %s\n", t.Command.Argv[0], srv.Pid, t.Endpoint, srv.LogPath)
	return func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintf(stderr, "s3conform: %v; its output: %s\n", err, srv.LogPath)
			return
		}
		fmt.Fprintf(stderr, "s3conform: stopped the server; its output: %s\n", srv.LogPath)
	}, nil
}
