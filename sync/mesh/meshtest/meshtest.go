// Package meshtest runs real mesh nodes for tests in other packages: on
// 127.0.0.1 with a free port and intervals short enough for a test to
// wait on convergence in well under a second.
package meshtest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"lifeboat/sync/mesh"
)

// Config is a node's configuration over db for a test: loopback, a free
// port, short intervals, logs discarded; joining join.
func Config(db mesh.Store, join ...string) mesh.Config {
	return mesh.Config{Store: db, BindAddr: "127.0.0.1", BindPort: 0, Join: join,
		ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond, GossipInterval: 20 * time.Millisecond,
		PushPullInterval: 500 * time.Millisecond, TCPTimeout: time.Second,
		AnnounceDelay: 20 * time.Millisecond, SyncInterval: 100 * time.Millisecond, RequestTimeout: 2 * time.Second,
		ReconnectInterval: 200 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// Start runs a node with Config(db, join...) until tb ends.
func Start(tb testing.TB, db mesh.Store, join ...string) *mesh.Node {
	tb.Helper()
	node, err := mesh.New(Config(db, join...))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	return node
}
